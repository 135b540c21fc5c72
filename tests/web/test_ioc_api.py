"""The IOC's read API through HTTP: series with names and sources, filters, updated_since, ETag and 304,
CSV with a byte-order mark, the units' GeoJSON, and answers that follow every committed change."""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import quote

import pytest
from shapely.geometry import shape
from tests import factories as f
from tests.conftest import TEST_CLOCK
from tests.web.conftest import ASGI, token_for

from chiso import units
from chiso.collection import review
from chiso.collection import service as collection
from chiso.results import service as results
from chiso.web.app import create_app

P = quote(f.PERIOD, safe="")
SERIES = "/api/v1/series?framework=commune-2025"


def bearer(site, user: str = "lanhdao", scope: str = "read") -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(site, user, scope)}"}


def test_score_series_name_every_unit_and_node(published):
    api = published.client()
    page = api.get(f"{SERIES}&unit={f.COMMUNE}&per_page=5000")
    assert page.status_code == 200, page.text
    rows = page.json()["items"]
    assert {r["unit_code"] for r in rows} == {f.COMMUNE} and page.json()["total"] == len(rows)
    index = next(r for r in rows if r["kind"] == "index")
    assert index["unit_name"] == "Phường Đức Xuân" and index["unit_name_en"] == "Duc Xuan Ward"
    assert index["node_name"] == "Chỉ số chuyển đổi số cấp xã" and index["node_name_en"].startswith("Commune")
    assert index["source"] == "computed" and index["published"] and index["level"] == "commune"
    broadband = next(r for r in rows if r["node"] == "c1_1")
    assert broadband["number"] == "1.1" and broadband["measure_unit"] == "%" and broadband["max_points"] == 10
    assert broadband["value"] == 3 and broadband["source"] == "declared" and broadband["rank"] == 1
    assert next(r for r in rows if r["node"] == "c1_2")["source"] is None  # nothing given, no source
    pillar = next(r for r in rows if r["node"] == "infrastructure")
    assert pillar["number"] == "1" and pillar["kind"] == "aggregate"


def test_score_series_filters(published):
    api = published.client()
    one = api.get(f"{SERIES}&node=1.1").json()["items"]  # an official number names the node
    assert {(r["node"], r["unit_code"]) for r in one} == {("c1_1", f.COMMUNE), ("c1_1", f.OTHER)}
    subtree = api.get(f"{SERIES}&node=infrastructure&below=true&unit={f.OTHER}").json()["items"]
    assert {r["node"] for r in subtree} >= {"infrastructure", "c1_1", "c1_2"} and "human_resources" not in {
        r["node"] for r in subtree
    }
    assert api.get(f"{SERIES}&level=commune&province=19&node=commune_dx").json()["total"] == 2
    assert api.get(f"{SERIES}&level=department").json()["total"] == 0
    assert api.get(f"{SERIES}&province=79").json()["total"] == 0
    assert api.get(f"{SERIES}&from=2025&to=2025&node=commune_dx").json()["total"] == 2
    assert api.get(f"{SERIES}&from=2026").status_code == 404
    missing = api.get(f"{SERIES}&node=9.99")
    assert missing.status_code == 404 and "9.99" in missing.json()["detail"]


def test_updated_since(published):
    api = published.client()
    stamp = api.get(f"{SERIES}&node=commune_dx").json()["items"][0]["updated_at"]
    moment = dt.datetime.fromisoformat(stamp)
    before = quote((moment - dt.timedelta(seconds=1)).isoformat())
    after = quote((moment + dt.timedelta(seconds=1)).isoformat())
    assert api.get(f"{SERIES}&node=commune_dx&updated_since={before}").json()["total"] == 2
    assert api.get(f"{SERIES}&node=commune_dx&updated_since={after}").json()["total"] == 0
    # Without an offset the moment is Vietnam's (UTC+7): seven hours later than the same digits in UTC.
    local = (moment.astimezone(dt.timezone(dt.timedelta(hours=7))) - dt.timedelta(seconds=1)).replace(tzinfo=None)
    assert api.get(f"{SERIES}&node=commune_dx&updated_since={quote(local.isoformat())}").json()["total"] == 2
    assert api.get(f"/api/v1/ioc/latest?province=19&updated_since={after}").json() == []
    assert len(api.get(f"/api/v1/ioc/latest?province=19&updated_since={before}").json()) == 1
    token = bearer(published)
    every = api.get(f"/api/v1/values?period={P}", headers=token).json()["items"]
    last = max(dt.datetime.fromisoformat(v["recorded_at"]).replace(tzinfo=dt.UTC) for v in every)
    newest = [v for v in every if dt.datetime.fromisoformat(v["recorded_at"]).replace(tzinfo=dt.UTC) == last]
    just_before = quote((last - dt.timedelta(microseconds=1)).isoformat())
    assert api.get(f"/api/v1/values?period={P}&updated_since={just_before}", headers=token).json()["items"] == newest
    assert (
        api.get(f"/api/v1/values?period={P}&updated_since={quote(last.isoformat())}", headers=token).json()["total"]
        == 0
        < len(every)
    )
    figures = "/api/v1/series/values?framework=commune-2025&updated_since="
    assert api.get(figures + quote(last.isoformat()), headers=token).json()["total"] == 0
    assert api.get(figures + just_before, headers=token).json()["total"] == len(newest)
    tasks = api.get(f"/api/v1/tasks?updated_since={quote('2000-01-01T00:00:00+00:00')}", headers=token).json()
    assert tasks["total"] == api.get("/api/v1/tasks", headers=token).json()["total"] > 0


def test_rankings_results_and_contributions_take_updated_since(collecting):
    """A poller that holds a run gets no rows until another run replaces it; `updated_at` is its next cursor."""
    people = collecting.people
    api = collecting.client()
    token = bearer(collecting)
    rankings, rows = f"/api/v1/rankings?period={P}", f"/api/v1/results?period={P}&variant=self_assessed"
    with collecting.session() as s:
        results.compute(session=s, period_code=f.PERIOD, actor=people["admin"])
        s.commit()
    first = api.get(rows, headers=token).json()
    assert first["total"] > 0
    cursor = quote(first["updated_at"])
    unchanged = api.get(f"{rows}&updated_since={cursor}", headers=token).json()
    assert unchanged["items"] == [] and unchanged["total"] == 0 and unchanged["run_id"] == first["run_id"]
    assert api.get(f"{rows}&updated_since={cursor}&format=csv", headers=token).text.strip().count("\n") == 0
    moment = dt.datetime.fromisoformat(first["updated_at"])
    earlier = quote((moment - dt.timedelta(microseconds=1)).isoformat())
    assert api.get(f"{rows}&updated_since={earlier}", headers=token).json()["total"] == first["total"]
    # Without an offset the moment is Vietnam's time: the same instant written as local digits.
    local = quote(moment.astimezone(dt.timezone(dt.timedelta(hours=7))).replace(tzinfo=None).isoformat())
    assert api.get(f"{rows}&updated_since={local}", headers=token).json()["total"] == 0

    with collecting.session() as s:
        review.accept(session=s, period_code=f.PERIOD, unit_code=f.COMMUNE, actor=people["appraiser"])
        review.approve(session=s, period_code=f.PERIOD, unit_code=f.COMMUNE, actor=people["appraiser"])
        results.compute(session=s, period_code=f.PERIOD, actor=people["admin"])
        s.commit()
    ranked = api.get(rankings, headers=token).json()
    assert ranked["units"] == 1 and f.COMMUNE in {r["unit_code"] for r in ranked["items"]}
    assert dt.datetime.fromisoformat(ranked["updated_at"]) > moment
    assert api.get(f"{rankings}&updated_since={cursor}", headers=token).json()["items"] == ranked["items"]
    later = quote(ranked["updated_at"])
    quiet = api.get(f"{rankings}&updated_since={later}", headers=token).json()
    assert quiet["items"] == [] and quiet["run_id"] == ranked["run_id"] and quiet["units"] == 1
    # The final run is new since the cursor; the self-assessed figures did not change, nor their run.
    assert api.get(f"/api/v1/results?period={P}&updated_since={cursor}", headers=token).json()["total"] > 0
    assert api.get(f"{rows}&updated_since={cursor}", headers=token).json()["run_id"] == first["run_id"]
    parts = f"/api/v1/contributions?period={P}&unit={f.COMMUNE}"
    assert len(api.get(f"{parts}&updated_since={cursor}", headers=token).json()) > 0
    assert api.get(f"{parts}&updated_since={later}", headers=token).json() == []


def test_figure_series_need_a_token_and_name_their_variables(published):
    api = published.client()
    assert api.get("/api/v1/series/values?framework=commune-2025").status_code == 401
    rows = api.get("/api/v1/series/values?framework=commune-2025&node=1.1", headers=bearer(published)).json()["items"]
    assert {r["variable"] for r in rows} == {"fixed_broadband_users_gigabit", "fixed_broadband_users"}
    gigabit = next(r for r in rows if r["variable"] == "fixed_broadband_users_gigabit" and r["unit_code"] == f.COMMUNE)
    assert gigabit["value"] == 120 and gigabit["source"] == "declared" and gigabit["simulated"] is False
    assert gigabit["label"] and gigabit["label_en"] and gigabit["unit_name"] == "Phường Đức Xuân"
    officer = bearer(published, "canbo.backan")  # a unit's officer sees only their unit's figures
    mine = api.get("/api/v1/series/values?framework=commune-2025", headers=officer).json()["items"]
    assert mine and {r["unit_code"] for r in mine} == {f.OTHER}


def test_sources_say_appraised_and_measured(collecting, tmp_path):
    people = collecting.people
    with collecting.session() as s:
        measured = f.measure_dossiers(tmp_path)
        f.record_measured(s, people["admin"], measured, indicator="c4_4")
        review.accept(
            session=s,
            period_code=f.PERIOD,
            unit_code=f.COMMUNE,
            actor=people["appraiser"],
            indicators=["c3_5"],
            appraised_score=5,
        )
        results.compute(session=s, period_code=f.PERIOD, actor=people["admin"], variants=["appraised"])
        s.commit()
    api = collecting.client()
    rows = api.get(f"{SERIES}&variant=appraised&unit={f.COMMUNE}", headers=bearer(collecting)).json()["items"]
    source = {r["node"]: r["source"] for r in rows}
    assert source["c3_5"] == "appraised" and source["c4_4"] == "measured" and source["c1_1"] == "declared"
    assert api.get(f"{SERIES}&variant=appraised").status_code == 404  # the public sees published runs only


def test_etag_and_not_modified_on_every_collection(published):
    api = published.client()
    token = bearer(published)
    for path in (
        f"{SERIES}&unit={f.COMMUNE}",
        f"/api/v1/rankings?period={P}",
        f"/api/v1/results?period={P}",
        f"/api/v1/contributions?period={P}&unit={f.COMMUNE}",
        "/api/v1/ioc/latest?province=19",
        "/api/v1/periods",
        "/api/v1/frameworks",
        "/api/v1/units?kind=commune&province=19",
        "/api/v1/programmes",
        "/api/v1/geo/units?kind=commune&province=19",
        f"/api/v1/values?period={P}",
        "/api/v1/series/values?framework=commune-2025",
        "/api/v1/tasks",
    ):
        first = api.get(path, headers=token)
        etag = first.headers["etag"]
        assert first.status_code == 200 and etag.startswith('"'), path
        again = api.get(path, headers={**token, "If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag, path
        other = api.get(path, headers={**token, "If-None-Match": '"something-else"'})
        assert other.status_code == 200 and other.content == first.content, path


def test_csv_with_a_byte_order_mark_by_format_or_accept(published):
    api = published.client()
    by_query = api.get(f"{SERIES}&node=commune_dx&format=csv")
    by_accept = api.get(f"{SERIES}&node=commune_dx", headers={"Accept": "text/csv"})
    for response in (by_query, by_accept):
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert response.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert {r["unit_name"] for r in rows} == {"Phường Đức Xuân", "Phường Bắc Kạn"}
        assert rows[0]["node_name"] == "Chỉ số chuyển đổi số cấp xã"
    assert by_query.content == by_accept.content
    json_first = api.get(f"{SERIES}&node=commune_dx", headers={"Accept": "application/json, text/csv"})
    assert json_first.headers["content-type"] == "application/json"
    figures = api.get("/api/v1/series/values?framework=commune-2025&format=csv", headers=bearer(published))
    assert figures.content.startswith(b"\xef\xbb\xbfperiod,year,")


def test_geojson_of_units_keyed_by_official_code(published):
    api = published.client()
    communes = api.get("/api/v1/geo/units?kind=commune&province=19")
    assert communes.status_code == 200 and communes.headers["content-type"] == "application/geo+json"
    document = communes.json()
    assert document["type"] == "FeatureCollection"
    expected = {u.code for u in units.list_units(era="2025", kind="commune", province="19")}
    assert len(expected) == 92 and {feature["id"] for feature in document["features"]} == expected
    for feature in document["features"]:
        assert feature["type"] == "Feature" and feature["properties"]["code"] == feature["id"]
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon") and shape(feature["geometry"]).is_valid
    duc_xuan = next(x for x in document["features"] if x["id"] == f.COMMUNE)["properties"]
    assert duc_xuan == {
        "code": f.COMMUNE,
        "era": "2025",
        "name": "Phường Đức Xuân",
        "name_en": "Duc Xuan Ward",
        "kind": "commune",
        "province_code": "19",
    }
    provinces = api.get("/api/v1/geo/units?era=2024").json()["features"]
    assert len(provinces) == 63 and {"06", "19"} <= {p["id"] for p in provinces}  # Bắc Kạn still there
    assert len(api.get("/api/v1/geo/units").json()["features"]) == 34
    assert api.get("/api/v1/geo/units?era=2024&kind=commune").status_code == 404
    assert api.get("/api/v1/geo/units?kind=commune&province=00").status_code == 404


def test_ioc_latest_names_beside_codes(published):
    block = published.client().get("/api/v1/ioc/latest?province=19").json()[0]
    assert block["framework_name_en"] and block["index"]["code"] == "commune_dx" and block["index"]["name"]
    assert block["pillars"]["infrastructure"]["name"] == "Hạ tầng và nền tảng số"
    assert block["pillars"]["infrastructure"]["number"] == "1"
    unit = next(u for u in block["units"] if u["code"] == f.COMMUNE)
    assert unit["name"] == "Phường Đức Xuân" and unit["name_en"] == "Duc Xuan Ward" and unit["unit_era"] == "2025"
    assert set(unit) == {"code", "name", "name_en", "unit_era", "index", "rank", "pillars"}


def test_answers_follow_every_committed_change(collecting):
    """Measure, approve, compute, publish: each is seen at once, by this app and by another process's."""
    people = collecting.people
    api = collecting.client()
    token = bearer(collecting)
    other_process = create_app(collecting.app.state.settings, sessions=collecting.sessions, clock=TEST_CLOCK)
    elsewhere = collecting.client()
    elsewhere._transport = ASGI(other_process)  # another worker: its own cache, the same database
    values = f"/api/v1/values?period={P}&unit={f.COMMUNE}"
    before = api.get(values, headers=token)
    assert "population" not in {v["variable"] for v in before.json()["items"]}
    written = elsewhere.post(
        "/api/v1/values",
        json={"unit_code": f.COMMUNE, "variable": "population", "period": "2025", "value": 12000},
        headers=bearer(collecting, "measure", "write"),
    )
    assert written.status_code == 201
    after = api.get(values, headers={**token, "If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert {v["variable"]: v["value"] for v in after.json()["items"]}["population"] == 12000

    rankings = f"/api/v1/rankings?period={P}"
    assert api.get(rankings, headers=token).status_code == 404  # nothing computed yet
    with collecting.session() as s:
        results.compute(session=s, period_code=f.PERIOD, actor=people["admin"])
        s.commit()
    provisional = api.get(rankings, headers=token).json()
    assert provisional["units"] == 0 and not provisional["published"]  # no unit approved yet
    with collecting.session() as s:
        review.accept(session=s, period_code=f.PERIOD, unit_code=f.COMMUNE, actor=people["appraiser"])
        review.approve(session=s, period_code=f.PERIOD, unit_code=f.COMMUNE, actor=people["appraiser"])
        runs = {r.variant: r for r, _ in results.compute(session=s, period_code=f.PERIOD, actor=people["admin"])}
        s.commit()
    approved = api.get(rankings, headers=token).json()
    assert approved["units"] == 1 and approved["run_id"] == runs["final"].id != provisional["run_id"]
    assert elsewhere.get(rankings, headers=token).json()["run_id"] == runs["final"].id

    public = collecting.client()
    assert public.get(f"{SERIES}&node=commune_dx").status_code == 404
    assert public.get("/api/v1/ioc/latest?province=19").status_code == 404
    with collecting.session() as s:
        collection.submit(session=s, period_code=f.PERIOD, unit_code=f.OTHER, actor=people["other"])
        review.accept(session=s, period_code=f.PERIOD, unit_code=f.OTHER, actor=people["appraiser"])
        review.approve(session=s, period_code=f.PERIOD, unit_code=f.OTHER, actor=people["appraiser"])
        final = results.compute(session=s, period_code=f.PERIOD, actor=people["admin"], variants=["final"])[0][0]
        results.publish(session=s, run_id=final.id, actor=people["admin"])
        s.commit()
    series = public.get(f"{SERIES}&node=commune_dx").json()["items"]
    assert [r["published"] for r in series] == [True, True] and series[0]["run_id"] == final.id
    assert public.get("/api/v1/ioc/latest?province=19").status_code == 200
    assert elsewhere.get(f"{SERIES}&node=commune_dx").json()["items"][0]["published"] is True


@pytest.mark.parametrize("path", ["/api/v1/series?framework=nope", "/api/v1/series/values?framework=nope"])
def test_unknown_framework_is_a_clear_404(published, path):
    response = published.client().get(path, headers=bearer(published))
    assert response.status_code == 404 and "nope" in response.json()["detail"]


def test_a_repeated_or_conditional_request_does_no_work_until_the_data_changes(collecting, monkeypatch):
    from chiso.dashboard import series

    calls = []
    original = series.figures

    def counted(**kwargs):
        calls.append(kwargs["filters"])
        return original(**kwargs)

    monkeypatch.setattr(series, "figures", counted)
    api = collecting.client()
    token = bearer(collecting)
    path = "/api/v1/series/values?framework=commune-2025"
    first = api.get(path, headers=token)
    assert api.get(path, headers=token).content == first.content
    assert api.get(path, headers={**token, "If-None-Match": first.headers["etag"]}).status_code == 304
    assert len(calls) == 1
    with collecting.session() as s:
        f.declare_all(s, collecting.people["other"], f.DECLARATIONS[1:2], unit=f.OTHER)
        s.commit()
    changed = api.get(path, headers={**token, "If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and len(calls) == 2
    assert "cyber_drill" in {r["variable"] for r in changed.json()["items"] if r["unit_code"] == f.OTHER}
