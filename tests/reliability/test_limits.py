"""Limits before work (issue 11, item 6): the body is capped while it streams, anonymous uploads are not parsed,
huge ids are a 404/422 and NUL characters in a form are refused."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests import factories as f
from tests.conftest import TEST_CLOCK
from tests.web.conftest import Site, csrf_of, post_form
from tests.web.test_workflow_pages import save

from chiso.actors.models import ActorRecord
from chiso.settings import Settings
from chiso.web.app import create_app
from chiso.web.security import COOKIE

LIMIT = 100_000  # bytes of a request body, in these tests (the evidence limit is 50 000)
CHUNK = 16_384
HUGE = "99999999999999999999999"


def limited(site: Site, folder: Path) -> Site:
    settings = Settings(
        _env_file=None, data_dir=folder, secret_key="test-key", upload_max_bytes=50_000, body_max_bytes=LIMIT
    )
    return Site(create_app(settings, sessions=site.sessions, clock=TEST_CLOCK), site.sessions, site.people)


class Sent:
    """A request body of `chunks` × CHUNK bytes, handed to the app one chunk per `receive`; counts what it read."""

    def __init__(self, chunks: int) -> None:
        self.chunks, self.read = chunks, 0

    async def receive(self) -> dict:
        if self.read >= self.chunks:
            return {"type": "http.disconnect"}
        self.read += 1
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": self.read < self.chunks}


def call(app, method: str, path: str, headers: dict[str, str], body: Sent) -> tuple[int, dict[str, str], bytes]:
    """The app called as a server would, with the body streamed (no Content-Length unless given)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    out: dict = {"status": 0, "headers": {}, "body": b""}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = {k.decode(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    asyncio.run(app(scope, body.receive, send))
    return out["status"], out["headers"], out["body"]


@pytest.fixture
def small(site, tmp_path) -> Iterator[Site]:
    yield limited(site, tmp_path)


def test_the_default_limit_is_a_little_above_the_evidence_limit(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path, upload_max_bytes=20_000_000)
    assert settings.body_limit == 20_000_000 + 1024 * 1024


@pytest.mark.parametrize("path", ["/logout", "/api/v1/values", "/declare/save"])
def test_a_declared_length_over_the_limit_is_refused_before_reading(small, path):
    body = Sent(10_000)  # 160 MB if it were read
    headers = {"content-type": "multipart/form-data; boundary=x", "content-length": "300000000"}
    status, response_headers, text = call(small.app, "POST", path, headers, body)
    assert status == 413, (status, text[:300])
    assert body.read == 0
    assert "quá lớn" in text.decode() and "too large" in text.decode()
    assert response_headers.get("connection") == "close"


@pytest.mark.parametrize(
    ("path", "kind"), [("/api/v1/values", "application/json"), ("/login", "application/x-www-form-urlencoded")]
)
def test_a_streamed_body_is_counted_and_cut_at_the_limit(small, path, kind):
    body = Sent(2_000)  # 32 MB if it were read; chunked, so no length is declared
    headers = {"content-type": kind, "transfer-encoding": "chunked"}
    if path.startswith("/api/"):  # past the check that a token is there at all
        headers["authorization"] = "Bearer chiso_anything"
    status, _, text = call(small.app, "POST", path, headers, body)
    assert status == 413, (status, text[:300])
    assert body.read * CHUNK <= LIMIT + CHUNK


def test_a_logged_in_upload_over_the_limit_is_refused_and_saves_nothing(collecting, tmp_path):
    site = limited(collecting, tmp_path)
    client = site.client("canbo.backan")
    fields = {"v:cyber_drill": "1", "doc_number": "22/KH-UBND", "doc_date": "2025-10-01", "summary": "KH"}
    big = b"%PDF-1.7\n" + b"0" * (3 * LIMIT)
    response = save(client, "c3_5", fields, files={"file": ("ke-hoach.pdf", big, "application/pdf")})
    assert response.status_code == 413, response.text[:300]
    assert "22/KH-UBND" not in client.get(f"/declare?period={f.PERIOD}&unit={f.OTHER}").text


def test_an_anonymous_multipart_post_is_not_parsed(small):
    """Who posts is known before the body is read: an anonymous multipart body is refused unread."""
    client = small.client()
    token = csrf_of(client)  # even with the anonymous session's own CSRF token
    cookie = client.cookies[COOKIE]
    body = Sent(4)  # under the limit
    headers = {"content-type": "multipart/form-data; boundary=x", "cookie": f"{COOKIE}={cookie}"}
    status, _, _ = call(small.app, "POST", "/logout", headers, body)
    assert status == 403 and body.read == 0
    assert token  # the form is refused although a token was at hand: the body was never looked at


def test_an_anonymous_api_write_is_not_read(small):
    body = Sent(4)  # under the limit
    status, headers, text = call(
        small.app,
        "POST",
        "/api/v1/values",
        {"content-type": "application/json", "content-length": str(4 * CHUNK)},
        body,
    )
    assert status == 401 and body.read == 0, text[:300]
    assert headers["content-type"] == "application/problem+json"


def test_uploads_within_the_limit_still_work(collecting, tmp_path):
    site = limited(collecting, tmp_path)
    client = site.client("canbo.backan")
    fields = {"v:cyber_drill": "1", "doc_number": "22/KH-UBND", "doc_date": "2025-10-01", "summary": "KH"}
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"
    response = save(client, "c3_5", fields, files={"file": ("ke-hoach.pdf", pdf, "application/pdf")})
    assert response.status_code == 303, response.text[:600]


# --- huge integers --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [f"/evidence/{HUGE}", f"/tasks/evidence/{HUGE}", "/evidence/-1", "/evidence/1e30"])
def test_a_huge_id_in_a_path_is_not_found(published, path):
    response = published.client("admin").get(path)
    assert response.status_code in (404, 422), response.text[:300]


@pytest.mark.parametrize("value", [HUGE, "1e30", "-" + HUGE])
@pytest.mark.parametrize(("path", "field"), [("/admin/publish", "run"), ("/admin/tokens/revoke", "token")])
def test_a_huge_id_in_a_form_is_refused(published, path, field, value):
    response = post_form(published.client("admin"), path, {field: value}, "/admin")
    assert response.status_code in (404, 422), response.text[:300]


def test_a_huge_version_in_a_form_is_refused(collecting):
    client = collecting.client("canbo.backan")
    response = save(client, "c3_5", {"v:cyber_drill": "1", "version": HUGE})
    assert response.status_code in (409, 422), response.text[:300]


# --- NUL characters -------------------------------------------------------------------------------------


def test_nul_in_form_text_is_refused_like_the_api_does(site):
    client = site.client("admin")
    data = {"user": "moi.nguoi", "name": "Nguyễn\x00Văn A", "roles": "viewer", "password": "mot-mat-khau-dai"}
    response = post_form(client, "/admin/users", data, "/admin")
    assert response.status_code in (400, 422), response.text[:300]
    assert "NUL" in response.text
    with site.session() as s:
        assert s.scalar(select(func.count()).select_from(ActorRecord).where(ActorRecord.user == "moi.nguoi")) == 0


def test_nul_in_the_login_form_is_refused(site):
    client = site.client()
    data = {"user": "admin\x00", "password": "x", "csrf_token": csrf_of(client)}
    response = client.post("/login", data=data)
    assert response.status_code == 400, response.text[:300]
