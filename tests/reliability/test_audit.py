"""The audit log is complete (logins, logouts, refusals, CSRF failures) and tamper-evident (issue 11, item 9)."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from tests import factories as f
from tests.conftest import TEST_CLOCK
from tests.web.conftest import PASSWORD, csrf_of

from chiso.audit import service as audit
from chiso.audit.models import AuditEntry
from chiso.db import make_engine, transaction
from chiso.permissions import Actor

ADMIN = Actor("admin", frozenset({"admin"}))


def entries(site, action: str) -> list[AuditEntry]:
    with site.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_logins_failed_logins_and_logouts_are_recorded(site):
    client = site.client()
    wrong = client.post(
        "/login", data={"user": "thamdinh", "password": "sai", "csrf_token": csrf_of(client), "next": "/"}
    )
    assert wrong.status_code == 401
    failed = entries(site, "login.failed")
    assert [e.after["user"] for e in failed] == ["thamdinh"] and failed[0].after["address"] == "127.0.0.1"
    ok = client.post("/login", data={"user": "thamdinh", "password": PASSWORD, "csrf_token": csrf_of(client)})
    assert ok.status_code == 303
    assert [(e.actor, e.after["address"]) for e in entries(site, "login")] == [("thamdinh", "127.0.0.1")]
    assert client.post("/logout", data={"csrf_token": csrf_of(client, "/")}).status_code == 303
    assert [e.actor for e in entries(site, "logout")] == ["thamdinh"]


def test_a_refused_permission_is_recorded_although_the_request_rolls_back(collecting):
    client = collecting.client("thamdinh")  # an appraiser reads declarations but may not edit them
    form = {"period": f.PERIOD, "unit": f.COMMUNE, "indicator": "c1_1", "csrf_token": csrf_of(client, "/")}
    assert client.post("/declare/save", data=form).status_code == 403
    (entry,) = entries(collecting, "permission.refused")
    assert (entry.actor, entry.entity_key, entry.unit_code) == ("thamdinh", "declaration.edit", f.COMMUNE)
    assert entry.after["path"] == "/declare/save" and "may not" in entry.reason
    officer = collecting.client("canbo.ducxuan")
    form = {"period": f.PERIOD, "unit": f.OTHER, "indicator": "c1_1", "csrf_token": csrf_of(officer, "/")}
    assert officer.post("/declare/save", data=form).status_code == 403
    last = entries(collecting, "permission.refused")[-1]
    assert (last.actor, last.unit_code) == ("canbo.ducxuan", f.OTHER) and "only for unit" in last.reason


def test_a_csrf_failure_is_recorded(site):
    client = site.client("lanhdao")
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    (entry,) = entries(site, "csrf.refused")
    assert entry.actor == "lanhdao" and entry.after["path"] == "/logout"


def test_administrators_read_the_log_on_a_page_with_filters(site):
    site.client("thamdinh")  # a login to find
    admin = site.client("admin")
    assert 'href="/admin/audit"' in admin.get("/admin").text
    page = admin.get("/admin/audit", params={"action": "login", "actor": "thamdinh"})
    assert page.status_code == 200 and "Nhật ký" in page.text and "thamdinh" in page.text
    assert "login.failed" not in page.text
    assert admin.get("/admin/audit", params={"action": "nothing-like-this"}).text.count("<tr") == 1  # the header
    assert site.client("lanhdao").get("/admin/audit").status_code == 403


@pytest.mark.parametrize("statement", ["UPDATE audit_entry SET reason = 'sửa'", "DELETE FROM audit_entry"])
def test_a_raw_update_or_delete_is_refused_by_the_database(db_session, statement):
    audit.record(session=db_session, actor="admin", action="test", entity="test", entity_key="1")
    db_session.flush()
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(text(statement))


def _drop_triggers(session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DROP TRIGGER audit_entry_append_only ON audit_entry"))
    else:
        session.execute(text("DROP TRIGGER audit_entry_no_update"))
        session.execute(text("DROP TRIGGER audit_entry_no_delete"))


@pytest.mark.parametrize(
    ("tampering", "broken"),
    [("UPDATE audit_entry SET reason = 'sửa' WHERE id = :id", 2), ("DELETE FROM audit_entry WHERE id = :id", 3)],
    ids=["changed", "removed"],
)
def test_verify_finds_the_first_tampered_entry(db_session, tampering, broken):
    made = [
        audit.record(session=db_session, actor="admin", action="test", entity="test", entity_key=str(n), after={"n": n})
        for n in range(4)
    ]
    db_session.flush()
    assert audit.verify(session=db_session, actor=ADMIN).broken_at is None
    assert audit.verify(session=db_session, actor=ADMIN).count >= 4
    _drop_triggers(db_session)
    db_session.execute(text(tampering), {"id": made[2].id})
    db_session.expire_all()
    report = audit.verify(session=db_session, actor=ADMIN)
    assert report.broken_at == made[broken].id  # a removed entry: the one after it no longer follows


def test_concurrent_appends_do_not_fork_the_chain(database_url):
    from chiso import migrations

    engine = make_engine(database_url)
    try:
        migrations.upgrade(engine)
        waiting = threading.Event()
        failures: list[BaseException] = []

        def second() -> None:
            try:
                with transaction(engine, TEST_CLOCK) as s:
                    waiting.set()
                    audit.record(session=s, actor="b", action="test", entity="test", entity_key="b")
            except BaseException as exc:
                failures.append(exc)

        with transaction(engine, TEST_CLOCK) as s:
            audit.record(session=s, actor="a", action="test", entity="test", entity_key="a")
            s.flush()
            thread = threading.Thread(target=second)
            thread.start()
            waiting.wait()
        thread.join()
        assert failures == []
        with transaction(engine, TEST_CLOCK) as s:
            report = audit.verify(session=s, actor=ADMIN)
            rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert report.broken_at is None and report.count == len(rows) >= 2
        assert len({r.prev_hash for r in rows}) == len(rows)
    finally:
        engine.dispose()


def test_the_cli_lists_exports_and_verifies_and_records_refusals(cli, cli_env, tmp_path):
    assert cli("db", "upgrade", "--admin", "admin").exit_code == 0
    assert cli("users", "create", "lanhdao", "--role", "viewer", "--no-password", "--as", "admin").exit_code == 0
    assert cli("users", "list", "--as", "lanhdao").exit_code == 2  # refused
    listed = cli("audit", "list", "--action", "permission.refused", "--format", "json", "--as", "admin")
    assert listed.exit_code == 0, listed.output
    (refusal,) = json.loads(listed.stdout)
    assert refusal["actor"] == "lanhdao" and refusal["entity_key"] == "account.manage"
    out = tmp_path / "audit.csv"
    assert cli("audit", "export", "--out", out, "--as", "admin").exit_code == 0
    assert "permission.refused" in out.read_text(encoding="utf-8")
    verified = cli("audit", "verify", "--as", "admin")
    assert verified.exit_code == 0 and "intact" in verified.stdout

    engine = make_engine(cli_env)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("DROP TRIGGER audit_entry_append_only ON audit_entry"))
            else:
                connection.execute(text("DROP TRIGGER audit_entry_no_update"))
            first = connection.scalar(text("SELECT min(id) FROM audit_entry"))
            connection.execute(text("UPDATE audit_entry SET actor = 'ai-do' WHERE id = :id"), {"id": first})
    finally:
        engine.dispose()
    broken = cli("audit", "verify", "--as", "admin")
    assert broken.exit_code == 1 and f"#{first}" in broken.stdout
