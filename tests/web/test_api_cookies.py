"""The JSON API sets no cookie: not to the public, not with a token, not to a logged-in browser, not on errors."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from tests import factories as f
from tests.web.conftest import login
from tests.web.test_routes import READ, WORK, _call

API_READ = [case for case in READ if case[1].startswith("/api/")]
API_WORK = [case for case in WORK if case[1].startswith("/api/")]
P = quote(f.PERIOD, safe="")


def no_cookie(response) -> None:
    assert "set-cookie" not in response.headers, (response.request.url, response.headers.get_list("set-cookie"))


@pytest.mark.parametrize(("method", "route", "user", "url", "data", "status"), API_READ, ids=[c[3] for c in API_READ])
def test_reading_the_api_sets_no_cookie(published, method, route, user, url, data, status):
    response, _ = _call(published, method, route, user, url, data)
    assert response.status_code == status
    no_cookie(response)


@pytest.mark.parametrize(("method", "route", "user", "url", "data", "status"), API_WORK, ids=[c[3] for c in API_WORK])
def test_writing_through_the_api_sets_no_cookie(collecting, method, route, user, url, data, status):
    response, _ = _call(collecting, method, route, user, url, data)
    assert response.status_code == status
    no_cookie(response)


def test_no_cookie_for_browsers_errors_languages_or_the_docs(published):
    public = published.client()
    for path in (
        "/api/v1/openapi.json",
        "/api/v1/docs",
        f"/api/v1/rankings?period={P}&lang=en",
        "/api/v1/units/nowhere",  # 404
        "/api/v1/rankings?period=",  # 422
        "/api/v1/nothing-here",
    ):
        no_cookie(public.get(path))
    no_cookie(public.get("/api/v1/values", headers={"Authorization": "Bearer chiso_wrong"}))  # 401
    no_cookie(public.post("/api/v1/values", json={}))
    browser = published.client()
    login(browser, "lanhdao")
    answer = browser.get(f"/api/v1/rankings?period={P}")
    assert answer.status_code == 200
    no_cookie(answer)
    # A disabled account's browser: its cookie would be reset on a page, not on the API.
    from chiso.accounts import service as accounts

    with published.session() as s:
        accounts.set_disabled(session=s, user="lanhdao", disabled=True, actor=published.people["admin"])
        s.commit()
    no_cookie(browser.get("/api/v1/periods"))
    assert "chiso_session=" in browser.get("/").headers.get("set-cookie", "")  # a page resets it
    # Pages still start a session (CSRF token) and keep the language.
    assert "chiso_session=" in published.client().get("/login").headers["set-cookie"]
    assert "chiso_lang=en" in published.client().get("/?lang=en").headers.get("set-cookie", "")
