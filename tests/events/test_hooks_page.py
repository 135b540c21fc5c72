"""`/admin/hooks`: an administrator adds a webhook (the secret shown once), pings it, reads the log,
removes it; nobody else may."""

from __future__ import annotations

import re

from chiso.events import delivery
from tests.web.conftest import csrf_of


def test_admin_manages_webhooks_on_the_page(site, receiver):
    admin = site.client("admin")
    assert 'href="/admin/hooks"' in admin.get("/admin").text
    added = admin.post(
        "/admin/hooks",
        data={
            "url": receiver.url,
            "events": ["vn.chiso.result.published"],
            "csrf_token": csrf_of(admin, "/admin/hooks"),
        },
    )
    assert added.status_code == 200, added.text[:1000]
    secret = re.search(r'<code id="secret">([^<]+)</code>', added.text)
    assert secret and len(secret.group(1)) >= 32
    assert receiver.url in added.text and "vn.chiso.result.published" in added.text
    assert secret.group(1) not in admin.get("/admin/hooks").text  # shown once
    hook = re.search(r'name="hook" value="(\d+)"', added.text).group(1)
    wrong = admin.post("/admin/hooks", data={"url": "ioc", "csrf_token": csrf_of(admin, "/admin/hooks")})
    assert wrong.status_code == 400 and "not an http(s) URL" in wrong.text
    tested = admin.post("/admin/hooks/test", data={"hook": hook, "csrf_token": csrf_of(admin, "/admin/hooks")})
    assert tested.status_code == 303
    delivery.run_once(sessions=site.session, source="/chiso/19")
    assert [e["type"] for e in receiver.events()] == ["vn.chiso.ping"]
    log = admin.get("/admin/hooks?state=delivered")
    assert "vn.chiso.ping" in log.text and receiver.events()[0]["id"] in log.text
    forged = admin.post("/admin/hooks/remove", data={"hook": hook, "csrf_token": "forged"})
    assert forged.status_code == 403
    appraiser = site.client("thamdinh")
    assert appraiser.get("/admin/hooks").status_code == 403
    removed = admin.post("/admin/hooks/remove", data={"hook": hook, "csrf_token": csrf_of(admin, "/admin/hooks")})
    assert removed.status_code == 303
    assert receiver.url not in admin.get("/admin/hooks?state=pending").text
