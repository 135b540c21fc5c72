"""Every route has an HTTP test here, and every route that reaches a service reaches a permission check."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute
from tests import factories as f
from tests.conftest import TODAY
from tests.web.conftest import PASSWORD, token_for

from chiso import permissions

P = quote(f.PERIOD, safe="")
# Routes that answer without any service that takes an actor (no permission to check).
NO_CHECK = {
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/units"),
    ("GET", "/api/v1/units/{code}"),
    ("GET", "/api/v1/geo/units"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/account/password"),
    ("POST", "/logout"),
    ("GET", "/map/{era}/{kind}/{province}.svg"),
}
# (method, route, user, url, form or json, expected status) — on a period with published results.
READ = [
    ("GET", "/api/v1/health", None, "/api/v1/health", None, 200),
    ("GET", "/api/v1/units", None, "/api/v1/units?kind=commune&province=19&per_page=5", None, 200),
    ("GET", "/api/v1/units/{code}", None, f"/api/v1/units/{f.COMMUNE}", None, 200),
    ("GET", "/api/v1/frameworks", None, "/api/v1/frameworks", None, 200),
    ("GET", "/api/v1/frameworks/{code}", None, "/api/v1/frameworks/commune-2025", None, 200),
    ("GET", "/api/v1/periods", None, "/api/v1/periods", None, 200),
    ("GET", "/api/v1/results", None, f"/api/v1/results?period={P}&node=commune_dx", None, 200),
    ("GET", "/api/v1/rankings", None, f"/api/v1/rankings?period={P}", None, 200),
    ("GET", "/api/v1/contributions", None, f"/api/v1/contributions?period={P}&unit={f.COMMUNE}", None, 200),
    ("GET", "/api/v1/ioc/latest", None, "/api/v1/ioc/latest?province=19", None, 200),
    ("GET", "/api/v1/values", "token:lanhdao", f"/api/v1/values?period={P}", None, 200),
    ("GET", "/api/v1/programmes", None, "/api/v1/programmes", None, 200),
    ("GET", "/api/v1/programmes/{code}/status", None, "/api/v1/programmes/thai-nguyen-01-nq-tu/status", None, 200),
    ("GET", "/api/v1/tasks", "token:lanhdao", "/api/v1/tasks?overdue=true", None, 200),
    ("GET", "/api/v1/dossiers/due", "token:lanhdao", "/api/v1/dossiers/due?within=5", None, 200),
    ("GET", "/dossiers/due", "canbo.ducxuan", "/dossiers/due", None, 200),
    ("GET", "/api/v1/series", None, "/api/v1/series?framework=commune-2025&unit=01840", None, 200),
    ("GET", "/api/v1/series/values", "token:lanhdao", "/api/v1/series/values?framework=commune-2025", None, 200),
    ("GET", "/api/v1/geo/units", None, "/api/v1/geo/units?kind=commune&province=19", None, 200),
    ("GET", "/", None, "/", None, 200),
    ("GET", "/programmes", None, "/programmes", None, 200),
    ("GET", "/home", "lanhdao", "/home", None, 200),
    ("GET", "/national", None, "/national", None, 200),
    ("GET", "/national/{year}", None, "/national/2024", None, 404),  # no national figures in this database
    ("GET", "/national/provinces/{code}", None, "/national/provinces/19", None, 200),
    ("GET", "/opendata", None, "/opendata", None, 200),
    ("GET", "/ministry/{year}", "lanhdao", "/ministry/2025", None, 404),  # no component list imported here
    ("GET", "/ministry", "lanhdao", "/ministry", None, 200),
    ("POST", "/ministry/import", "admin", "/ministry/import", {"year": "1999"}, 422),  # a year out of range
    ("POST", "/ministry/open", "admin", "/ministry/open", {"year": "2025", "opens_on": "1/3/2026"}, 422),  # no list
    ("GET", "/opendata/{year}.zip", None, "/opendata/2025.zip", None, 200),
    ("GET", "/programmes/{code}", None, "/programmes/thai-nguyen-01-nq-tu", None, 200),
    ("GET", "/tasks", "canbo.ducxuan", "/tasks", None, 200),
    ("GET", "/tasks/{code}", "canbo.ducxuan", "/tasks/1", None, 200),
    ("GET", "/tasks/evidence/{evidence_id}", "lanhdao", "/tasks/evidence/999999", None, 404),
    ("GET", "/reports/annual", "lanhdao", "/reports/annual?province=19&year=2025&format=xlsx", None, 200),
    ("POST", "/tasks/{code}/report", "canbo.ducxuan", "/tasks/1/report", {"plan": f.PLAN, "note": "Đã làm"}, 303),
    ("GET", "/units/{code}", None, f"/units/{f.COMMUNE}?period={P}", None, 200),
    ("GET", "/units/{code}/profile.{fmt}", None, f"/units/{f.COMMUNE}/profile.xlsx?period={P}", None, 200),
    ("GET", "/ranking.{fmt}", None, f"/ranking.csv?period={P}", None, 200),
    ("GET", "/frameworks", None, "/frameworks", None, 200),
    ("GET", "/frameworks/{code}", None, "/frameworks/commune-2025", None, 200),
    ("GET", "/map/{era}/{kind}/{province}.svg", None, "/map/2025/commune/19.svg", None, 200),
    ("GET", "/login", None, "/login", None, 200),
    ("POST", "/login", None, "/login", {"user": "admin", "password": PASSWORD, "next": "/admin"}, 303),
    ("GET", "/admin", "admin", "/admin", None, 200),
    ("GET", "/admin/audit", "admin", "/admin/audit?action=login&since=2025-01-01", None, 200),
    ("GET", "/service-766", "lanhdao", "/service-766?kind=department", None, 200),
    ("GET", "/service-766/{era}/{code}", "lanhdao", f"/service-766/2025/{f.COMMUNE}?year=2025", None, 200),
    ("GET", "/api/v1/service-766", "token:lanhdao", "/api/v1/service-766?period=2025-09&kind=commune", None, 200),
    ("GET", "/api/v1/service-766/{era}/{code}", "token:lanhdao", f"/api/v1/service-766/2025/{f.COMMUNE}", None, 200),
    (
        "GET",
        "/service-766/template.xlsx",
        "chuongtrinh",
        "/service-766/template.xlsx?province=19&period=2025-09",
        None,
        200,
    ),
    (
        "GET",
        "/service-766/{era}/{code}/template.xlsx",
        "canbo.ducxuan",
        f"/service-766/2025/{f.COMMUNE}/template.xlsx?period=2025-09",
        None,
        200,
    ),
    ("POST", "/admin/compute", "admin", "/admin/compute", {"period": f.PERIOD}, 303),
    ("POST", "/admin/period", "admin", "/admin/period", {"period": f.PERIOD, "action": "reopen", "reason": "x"}, 303),
    ("POST", "/admin/users", "admin", "/admin/users", {"user": "moi", "roles": "viewer", "password": "kin-dao-x"}, 303),
    ("POST", "/admin/users/disable", "admin", "/admin/users/disable", {"user": "lanhdao"}, 303),
    ("POST", "/admin/users/reset", "admin", "/admin/users/reset", {"user": "lanhdao"}, 200),
    ("POST", "/admin/users/import", "admin", "/admin/users/import", {}, 422),
    ("GET", "/admin/users/template.xlsx", "admin", "/admin/users/template.xlsx", None, 200),
    ("GET", "/account/password", "canbo.ducxuan", "/account/password", None, 200),
    (
        "POST",
        "/account/password",
        "canbo.ducxuan",
        "/account/password",
        {"current": "sai", "new": "x", "confirm": "x"},
        422,
    ),
    ("POST", "/admin/tokens", "admin", "/admin/tokens", {"user": "lanhdao", "scope": "read", "days": "5"}, 200),
    ("POST", "/admin/tokens/revoke", "admin", "/admin/tokens/revoke", {"token": "{token_id}"}, 303),
    ("GET", "/admin/hooks", "admin", "/admin/hooks?state=dead", None, 200),
    ("POST", "/admin/hooks", "admin", "/admin/hooks", {"url": "https://ioc.example.vn/chiso", "events": "*"}, 200),
    ("POST", "/admin/hooks/test", "admin", "/admin/hooks/test", {"hook": "999999"}, 404),
    ("POST", "/admin/hooks/remove", "thamdinh", "/admin/hooks/remove", {"hook": "1"}, 403),
    ("POST", "/logout", "admin", "/logout", {}, 303),
]
# … and on an open period where the officer of COMMUNE has submitted.
WORK = [
    ("GET", "/declare", "canbo.ducxuan", f"/declare?period={P}", None, 200),
    (
        "POST",
        "/declare/save",
        "canbo.ducxuan",
        "/declare/save",
        {"period": f.PERIOD, "unit": f.OTHER, "indicator": "c1_1"},
        403,
    ),
    ("POST", "/declare/submit", "canbo.backan", "/declare/submit", {"period": f.PERIOD, "unit": f.OTHER}, 303),
    ("GET", "/declare/item", "canbo.ducxuan", f"/declare/item?period={P}&unit={f.COMMUNE}&indicator=c1_1", None, 200),
    (
        "GET",
        "/declare/check",
        "canbo.backan",
        f"/declare/check?period={P}&unit={f.OTHER}&indicator=c1_1&v:fixed_broadband_users=400",
        None,
        200,
    ),
    ("GET", "/declare/template", "canbo.ducxuan", f"/declare/template?period={P}&unit={f.COMMUNE}", None, 200),
    ("POST", "/declare/import", "canbo.backan", "/declare/import", {"period": f.PERIOD, "unit": f.OTHER}, 422),
    ("GET", "/appraise", "thamdinh", f"/appraise?period={P}", None, 200),
    (
        "POST",
        "/appraise/decide",
        "thamdinh",
        "/appraise/decide",
        {"period": f.PERIOD, "unit": f.COMMUNE, "indicator": "c3_5", "decision": "return", "comment": "Thiếu"},
        303,
    ),
    ("GET", "/appraise/unit", "thamdinh", f"/appraise/unit?period={P}&unit={f.COMMUNE}", None, 200),
    ("GET", "/appraise/export.xlsx", "thamdinh", f"/appraise/export.xlsx?period={P}&unit={f.COMMUNE}", None, 200),
    ("GET", "/appraise/evidence/{evidence_id}", "canbo.backan", "/appraise/evidence/1", None, 403),
    (
        "POST",
        "/appraise/bulk",
        "thamdinh",
        "/appraise/bulk",
        {"period": f.PERIOD, "unit": f.COMMUNE, "pick": "c1_1"},
        303,
    ),
    ("POST", "/appraise/approve", "thamdinh", "/appraise/approve", {"period": f.PERIOD, "unit": f.COMMUNE}, 422),
    (
        "POST",
        "/admin/periods/open",
        "chuongtrinh",
        "/admin/periods/open",
        {
            "framework": "commune-2025",
            "year": str(TODAY.year),
            "province": "19",
            "closes_on": str(TODAY + dt.timedelta(days=30)),
        },
        303,
    ),
    ("POST", "/admin/publish", "admin", "/admin/publish", {"run": "999999"}, 404),
    ("GET", "/evidence/{evidence_id}", "canbo.backan", "/evidence/1", None, 403),
    (
        "POST",
        "/service-766/{era}/{code}/declare",
        "canbo.backan",  # the officer of OTHER may not declare COMMUNE's 766 components
        f"/service-766/2025/{f.COMMUNE}/declare",
        {"period": "2025-09", "feedback": "3"},
        403,
    ),
    (
        "POST",
        "/api/v1/values",
        "token:measure:write",  # measured values: the measuring service (issue 11, item 5)
        "/api/v1/values",
        {"json": {"unit_code": f.COMMUNE, "variable": "population", "period": "2025", "value": 12000}},
        201,
    ),
]


def all_routes(routes, prefix=""):
    """(method, path) of every route, through included routers (FastAPI keeps them nested)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from all_routes(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute) or getattr(route, "methods", None):
            for method in route.methods:
                yield method, prefix + route.path


def test_every_route_has_a_test(site):
    routes = {
        (method, path)
        for method, path in all_routes(site.app.routes)
        if method != "HEAD" and not path.startswith(("/api/v1/openapi", "/api/v1/docs", "/docs"))
    }
    tested = {(m, r) for m, r, *_ in READ + WORK}
    assert routes - tested == set(), "routes without an HTTP test"
    assert tested - routes == set(), "tests of routes that do not exist"


def _call(site, method, route, user, url, data):
    client = site.client()
    headers = {}
    if user and user.startswith("token:"):
        _, name, *scope = user.split(":")
        headers["Authorization"] = f"Bearer {token_for(site, name, scope[0] if scope else 'read')}"
    elif user:
        from tests.web.conftest import login

        login(client, user)
    if data and data.get("token") == "{token_id}":
        from chiso.accounts import service as accounts

        token_for(site, "lanhdao")
        with site.session() as s:
            data = {**data, "token": str(accounts.list_tokens(session=s, actor=site.people["admin"])[-1].id)}
    seen: list[str] = []
    stop = permissions.listen(lambda actor, action, unit: seen.append(action))
    try:
        if method == "GET":
            response = client.get(url, headers=headers)
        elif data and "json" in data:
            response = client.post(url, json=data["json"], headers=headers)
        else:
            from tests.web.conftest import csrf_of

            form = {**(data or {}), "csrf_token": csrf_of(client, "/login")}
            response = client.post(url, data=form, headers=headers)
    finally:
        stop()
    return response, seen


@pytest.mark.parametrize(
    ("method", "route", "user", "url", "data", "status"), READ, ids=[f"{m} {r}" for m, r, *_ in READ]
)
def test_reading_routes(published, method, route, user, url, data, status):
    response, seen = _call(published, method, route, user, url, data)
    assert response.status_code == status, response.text[:1500]
    if (method, route) not in NO_CHECK:
        assert seen, f"{method} {route} reached no permission check"


@pytest.mark.parametrize(
    ("method", "route", "user", "url", "data", "status"), WORK, ids=[f"{m} {r}" for m, r, *_ in WORK]
)
def test_working_routes(collecting, method, route, user, url, data, status):
    response, seen = _call(collecting, method, route, user, url, data)
    assert response.status_code == status, response.text[:1500]
    if (method, route) not in NO_CHECK:
        assert seen, f"{method} {route} reached no permission check"
