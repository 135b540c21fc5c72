"""One error model: each domain error in Vietnamese and English (never a CLI flag), one table of HTTP
statuses and exit codes, read by the web and by the CLI alike."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
import typer
from argon2 import PasswordHasher
from tests import factories as f
from tests.web.conftest import csrf_of
from typer.testing import CliRunner

import chiso
from chiso.accounts import service as accounts
from chiso.accounts.imports import AccountImportRefused, Problem
from chiso.cli.output import refuse
from chiso.collection.evidence import EvidenceRefused
from chiso.errors import (
    MESSAGES,
    OUTCOMES,
    ChisoError,
    ConflictError,
    ImmutableError,
    NotFound,
    PermissionDenied,
    TransitionRefused,
    outcome_of,
)
from chiso.web.i18n import gettext
from chiso.web.pages.forms import FormInvalid
from chiso.web.problems import status_of

PARAM = re.compile(r"%\((\w+)\)s")


def sample(code: str) -> ChisoError:
    return ChisoError.of(code, hint="--flag", **{name: "X" for name in PARAM.findall(MESSAGES[code])})


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_message_in_vietnamese_and_english_without_a_flag(code):
    error = sample(code)
    vi, en = error.message(), error.message(gettext("en"), "en")
    assert vi and en and vi != en, f"{code}: no English translation"
    for text in (vi, en):
        assert "--" not in text and "%(" not in text, text
    assert str(error) == vi


def every_error_class() -> list[type[ChisoError]]:
    for module in pkgutil.walk_packages(chiso.__path__, "chiso."):
        if not module.name.startswith(("chiso.migrations", "chiso.__main__")):
            importlib.import_module(module.name)
    found, todo = [], [ChisoError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_error_class_has_its_row_in_the_one_table():
    classes = every_error_class()
    assert len(classes) > 15  # units, frameworks, tables, sources, programmes, forms … all under the root
    for cls in classes:
        assert cls.kind in OUTCOMES, f"{cls.__module__}.{cls.__name__}: kind {cls.kind!r} not in OUTCOMES"


# One instance of each error class the web shows, as raised, rendered in both languages.
INSTANCES = [
    ChisoError.of("review.comment-needed", field="comment", hint="--comment"),
    NotFound.of("account.unknown", user="canbo.x"),
    PermissionDenied("canbo may not do results.publish", action="results.publish"),
    TransitionRefused("Phường Đức Xuân", "published", "return", ["reopen"]),
    ConflictError("Phường Đức Xuân · 1.1", 3),
    ImmutableError.of("results.published", run=7),
    EvidenceRefused("a.exe: loại tệp không được nhận / file type not accepted"),
    FormInvalid([("year", "Tối đa là %(le)s.", {"le": 2100})], {"year": "Năm"}),
    AccountImportRefused([Problem(3, "Vai trò", "account.role-unknown", {"roles": "sếp", "known": ["Quản trị"]})]),
]


@pytest.mark.parametrize("error", INSTANCES, ids=lambda e: type(e).__name__)
def test_each_error_class_renders_in_both_languages(error):
    vi, en = error.message(), error.message(gettext("en"), "en")
    assert vi and en and "--" not in vi + en
    if error.coded or isinstance(error, FormInvalid | AccountImportRefused):
        assert vi != en


def test_the_table_gives_status_problem_type_and_exit_code():
    expected = {
        ChisoError.of("review.comment-needed"): (400, "bad-request", 2),
        NotFound.of("account.unknown", user="x"): (404, "not-found", 2),
        PermissionDenied("no"): (403, "forbidden", 2),
        TransitionRefused("x", "published", "return", []): (409, "state", 2),
        ImmutableError.of("results.published", run=1): (409, "state", 2),
        ConflictError("x", 1): (409, "conflict", 3),
        FormInvalid([("year", "Cần nhập.", {})], {}): (422, "validation", 2),
    }
    for error, (status, kind, exit_code) in expected.items():
        outcome = outcome_of(error)
        assert (outcome.status, outcome.kind, outcome.exit) == (status, kind, exit_code), type(error)
        assert status_of(error, anonymous=False)[0] == status and status_of(error, anonymous=False)[2] == kind
    assert status_of(PermissionDenied("no"), anonymous=True)[0] == 401


def test_the_cli_prints_both_languages_its_flag_and_the_exit_code_of_the_table():
    app = typer.Typer()

    @app.command()
    def fails(kind: str) -> None:
        refuse(ConflictError("x", 1) if kind == "conflict" else ChisoError.of("period.reason-needed", hint="--reason"))

    refused = CliRunner().invoke(app, ["reason"])
    assert refused.exit_code == 2
    assert "Lỗi: Mở lại một kỳ cần ghi lý do. (--reason)" in refused.stderr
    assert "Error: Reopening a period needs a reason. (--reason)" in refused.stderr
    assert CliRunner().invoke(app, ["conflict"]).exit_code == 3


def test_a_returned_item_without_comment_in_vietnamese_then_english_inside_the_layout(collecting):
    client = collecting.client("thamdinh")
    data = {"period": f.PERIOD, "unit": f.COMMUNE, "indicator": "c3_5", "decision": "return"}
    vi = client.post("/appraise/decide", data={**data, "csrf_token": csrf_of(client, "/appraise")})
    # the appraisal page checks the comment itself, next to the item (422), before the service would
    assert vi.status_code == 422
    assert "Trả lại cần ý kiến: ghi rõ đơn vị cần bổ sung gì" in vi.text and "--comment" not in vi.text
    assert "thamdinh" in vi.text and "Đăng xuất" in vi.text and 'href="/appraise"' in vi.text  # logged in, menu
    client.get("/?lang=en")
    en = client.post("/appraise/decide", data={**data, "csrf_token": csrf_of(client, "/appraise")})
    assert "Returning needs a comment: say what the unit must add" in en.text and "--comment" not in en.text


def test_api_problems_carry_the_code_and_pages_stay_in_their_layout(published):
    client = published.client()
    body = client.get("/api/v1/frameworks/no-such").json()
    assert body["status"] == 404 and body["type"].endswith("/not-found") and body["code"] == "not-found"
    login_client = published.client("admin")
    refused = login_client.post("/admin/publish", data={"run": "999999", "csrf_token": csrf_of(login_client, "/admin")})
    assert refused.status_code == 404 and "Không có lần tính kết quả số 999999." in refused.text
    assert 'id="periods"' in refused.text  # the administration page again, not a bare error page


def test_a_bad_form_lists_its_fields_in_vietnamese(published):
    client = published.client("admin")
    response = client.post(
        "/admin/periods/open",
        data={"framework": "commune-2025", "year": "20x5", "province": "19", "closes_on": "31/02/2025",
              "csrf_token": csrf_of(client, "/admin")},
    )  # fmt: skip
    assert response.status_code == 422
    error = re.search(r'id="error"><p>([^<]*)<', response.text)
    assert error is not None
    assert "Năm: Cần một số nguyên." in error.group(1) and "Hạn kê khai: Ngày không hợp lệ" in error.group(1)


@pytest.fixture
def cheap_hashes(monkeypatch):
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def test_cli_errors_say_the_flag_the_web_does_not(cli, cli_env, cheap_hashes, tmp_path: Path):
    assert cli("db", "upgrade", "--admin", "admin").exit_code == 0
    no_unit = cli("users", "create", "canbo.x", "--role", "officer", "--password", "mat-khau-3", "--as", "admin")
    assert no_unit.exit_code == 2
    assert "Lỗi: Cán bộ đơn vị cần có đơn vị kê khai. (--unit)" in no_unit.stderr
    assert "Error: A unit officer needs the unit they declare for. (--unit)" in no_unit.stderr


def test_an_error_before_any_route_still_shows_who_is_logged_in(published):
    client = published.client("thamdinh")
    for response, status in ((client.get("/khong-co-trang-nay"), 404), (client.get("/admin/publish"), 405)):
        assert response.status_code == status
        assert "thamdinh" in response.text and "Đăng xuất" in response.text and 'href="/appraise"' in response.text
        assert "Not Found" not in response.text and "Method Not Allowed" not in response.text
