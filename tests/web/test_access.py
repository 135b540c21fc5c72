"""Who may see and change what, through the real app: scopes, publication, CSRF, login limits, tokens."""

from __future__ import annotations

from urllib.parse import quote

from tests import factories as f
from tests.web.conftest import PASSWORD, csrf_of, login, token_for

from chiso.accounts import service as accounts

P = quote(f.PERIOD, safe="")


def test_an_officer_cannot_read_or_change_another_units_draft(collecting):
    client = collecting.client("canbo.ducxuan")
    assert client.get(f"/declare?period={P}").status_code == 200
    other = client.get(f"/declare?period={P}&unit={f.OTHER}")
    assert other.status_code == 403 and "only for unit 01840" in other.text
    form = {
        "period": f.PERIOD,
        "unit": f.OTHER,
        "indicator": "c1_1",
        "v:fixed_broadband_users": "1",
        "csrf_token": csrf_of(client, "/login"),
    }
    assert client.post("/declare/save", data=form).status_code == 403
    submit = {"period": f.PERIOD, "unit": f.OTHER, "csrf_token": csrf_of(client, "/login")}
    assert client.post("/declare/submit", data=submit).status_code == 403
    token = token_for(collecting, "canbo.ducxuan")
    api = collecting.client()
    own = api.get(f"/api/v1/values?period={P}", headers={"Authorization": f"Bearer {token}"})
    assert own.status_code == 200 and {v["unit_code"] for v in own.json()["items"]} == {f.COMMUNE}
    theirs = api.get(f"/api/v1/values?period={P}&unit={f.OTHER}", headers={"Authorization": f"Bearer {token}"})
    assert theirs.status_code == 403 and theirs.headers["content-type"].startswith("application/problem+json")


def test_a_token_without_write_scope_cannot_write(collecting):
    body = {"unit_code": f.COMMUNE, "variable": "population", "period": "2025", "value": 5000}
    api = collecting.client()
    read = token_for(collecting, "admin", "read")
    refused = api.post("/api/v1/values", json=body, headers={"Authorization": f"Bearer {read}"})
    assert refused.status_code == 403
    problem = refused.json()
    assert problem["status"] == 403 and "write scope" in problem["detail"]
    assert api.post("/api/v1/values", json=body).status_code == 401  # no token at all
    write = token_for(collecting, "measure", "write")  # measured (the default): the measuring service only
    made = api.post("/api/v1/values", json=body, headers={"Authorization": f"Bearer {write}"})
    assert made.status_code == 201 and made.json()["version"] == 1 and made.json()["source"] == "measured"
    again = api.post("/api/v1/values", json=body, headers={"Authorization": f"Bearer {write}"})
    assert again.status_code == 200  # unchanged: no new version
    stale = api.post(
        "/api/v1/values", json={**body, "value": 1, "expected_version": 0}, headers={"Authorization": f"Bearer {write}"}
    )
    assert stale.status_code == 409 and stale.json()["current"] == 5000


def test_unpublished_results_are_not_public(collecting):
    with collecting.session() as s:
        from chiso.results import service as results

        results.compute(session=s, period_code=f.PERIOD, actor=collecting.people["admin"])
        s.commit()
    public = collecting.client()
    assert public.get(f"/api/v1/rankings?period={P}").status_code == 404
    assert public.get(f"/api/v1/results?period={P}").status_code == 404
    assert public.get("/api/v1/periods").json() == []
    assert public.get("/api/v1/ioc/latest?province=19").status_code == 404
    assert "Chưa có kết quả nào được công bố" in public.get("/").text
    assert public.get(f"/units/{f.COMMUNE}?period={P}").status_code == 404
    viewer = collecting.client("lanhdao")
    page = viewer.get("/")
    assert page.status_code == 200 and "Chưa công bố" in page.text and "Phường Đức Xuân" in page.text
    token = token_for(collecting, "lanhdao")
    seen = public.get(f"/api/v1/rankings?period={P}", headers={"Authorization": f"Bearer {token}"})
    assert seen.status_code == 200 and seen.json()["published"] is False


def test_published_results_in_the_api(published):
    api = published.client()
    ranking = api.get(f"/api/v1/rankings?period={P}").json()
    assert [r["unit_code"] for r in ranking["items"]] == [f.COMMUNE, f.OTHER] and ranking["published"]
    wards = api.get(f"/api/v1/rankings?period={P}&group=phuong").json()
    assert wards["group"] == "phuong" and wards["items"][0]["rank"] == 1
    page = api.get(f"/api/v1/results?period={P}&per_page=3&page=2").json()
    assert page["page"] == 2 and len(page["items"]) == 3 and page["next_page"] == 3
    csv = api.get(f"/api/v1/results?period={P}&node=commune_dx&format=csv")
    assert csv.headers["content-type"].startswith("text/csv") and csv.text.splitlines()[0].startswith("unit_code,")
    ioc = api.get("/api/v1/ioc/latest?province=19").json()
    assert ioc[0]["framework"] == "commune-2025" and {u["code"] for u in ioc[0]["units"]} == {f.COMMUNE, f.OTHER}
    assert set(ioc[0]["pillars"]) >= {"infrastructure", "human_resources"}
    parts = api.get(f"/api/v1/contributions?period={P}&unit={f.COMMUNE}").json()
    assert abs(sum(p["contribution"] or 0 for p in parts) - ranking["items"][0]["value"]) < 1e-6
    missing = api.get("/api/v1/rankings?period=nope")
    assert missing.status_code == 404 and missing.json()["title"] == "Not found"
    bad = api.get("/api/v1/units?per_page=0")
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


def test_forms_need_the_sessions_csrf_token(collecting):
    client = collecting.client("thamdinh")
    form = {"period": f.PERIOD, "unit": f.COMMUNE, "indicator": "c3_5", "decision": "accept"}
    assert client.post("/appraise/decide", data=form).status_code == 403
    assert client.post("/appraise/decide", data={**form, "csrf_token": "forged"}).status_code == 403
    ok = client.post("/appraise/decide", data={**form, "csrf_token": csrf_of(client, "/appraise")})
    assert ok.status_code == 303


def test_login_is_rate_limited_and_cookies_are_safe(site):
    client = site.client()
    for _ in range(5):
        wrong = client.post("/login", data={"user": "admin", "password": "sai", "csrf_token": csrf_of(client)})
        assert wrong.status_code == 401
    blocked = client.post("/login", data={"user": "admin", "password": PASSWORD, "csrf_token": csrf_of(client)})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    secure = site.client()
    secure.base_url = "https://testserver"  # type: ignore[misc]
    response = login(secure, "thamdinh")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
    plain = login(site.client(), "thamdinh").headers["set-cookie"].lower()
    assert "httponly" in plain and "secure" not in plain


def test_disabling_an_account_ends_its_sessions_and_tokens(site):
    viewer = site.client("lanhdao")
    token = token_for(site, "lanhdao")
    assert "lanhdao" in viewer.get("/").text
    with site.session() as s:
        accounts.set_disabled(session=s, user="lanhdao", disabled=True, actor=site.people["admin"])
        s.commit()
    assert "lanhdao" not in viewer.get("/").text  # back to a public visitor
    refused = site.client().get("/api/v1/periods", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and refused.json()["status"] == 401
    wrong = site.client().get("/api/v1/periods", headers={"Authorization": "Bearer chiso_nothing"})
    assert wrong.status_code == 401


def test_a_revoked_token_stops_working(site):
    token = token_for(site, "lanhdao")
    api = site.client()
    assert api.get("/api/v1/periods", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with site.session() as s:
        found = accounts.list_tokens(session=s, actor=site.people["admin"], user="lanhdao")[-1]
        accounts.revoke_token(session=s, token_id=found.id, actor=site.people["admin"])
        s.commit()
    assert api.get("/api/v1/periods", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_pages_ask_the_public_to_log_in(site):
    public = site.client()
    assert public.get("/declare").status_code == 303
    assert public.get("/admin").status_code == 303
    officer = site.client("canbo.ducxuan")
    assert officer.get("/admin").status_code == 403
    assert officer.get("/appraise").status_code == 403


def test_nul_characters_are_refused_up_front(collecting):
    api = collecting.client()
    refused = api.get("/api/v1/results?period=%00")
    assert refused.status_code == 400 and refused.headers["content-type"] == "application/problem+json"
    write = token_for(collecting, "admin", "write")
    body = {"unit_code": f.COMMUNE, "variable": "a\x00b", "period": "2025", "value": 1}
    assert api.post("/api/v1/values", json=body, headers={"Authorization": f"Bearer {write}"}).status_code == 422
