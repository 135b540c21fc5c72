"""Provisional results stay live: an approval through the web is followed, after one worker pass, by the
new rank in the API and by its event delivered to the IOC."""

from __future__ import annotations

import re
from urllib.parse import quote

from sqlalchemy import select

from chiso.events import delivery, hooks
from chiso.events.models import WebhookDelivery
from chiso.results.models import ResultRun
from tests import factories as f
from tests.web.conftest import csrf_of, token_for

P = quote(f.PERIOD, safe="")


def test_an_approval_brings_the_provisional_rank_and_the_event(collecting, receiver):
    with collecting.session() as s:
        hooks.add(session=s, url=receiver.url, event_types=["*"], actor=collecting.people["admin"])
        s.commit()
    token = token_for(collecting, "lanhdao")
    api = collecting.client()
    auth = {"Authorization": f"Bearer {token}"}
    assert api.get(f"/api/v1/rankings?period={P}", headers=auth).status_code == 404  # nothing computed yet

    appraiser = collecting.client("thamdinh")
    unit_page = appraiser.get(f"/appraise/unit?period={P}&unit={f.COMMUNE}").text
    picks = re.findall(r'name="pick" value="([^"]+)"', unit_page)
    accepted = appraiser.post(
        "/appraise/bulk",
        data={"period": f.PERIOD, "unit": f.COMMUNE, "pick": picks, "csrf_token": csrf_of(appraiser, "/appraise")},
    )
    assert accepted.status_code == 303
    approved = appraiser.post(
        "/appraise/approve",
        data={"period": f.PERIOD, "unit": f.COMMUNE, "csrf_token": csrf_of(appraiser, "/appraise")},
    )
    assert approved.status_code == 303, approved.text[:1000]

    delivery.run_once(sessions=collecting.session, source="/chiso/19", policy=delivery.Policy(backoff_seconds=0))

    ranking = api.get(f"/api/v1/rankings?period={P}", headers=auth)
    assert ranking.status_code == 200, ranking.text[:1000]
    body = ranking.json()
    assert body["published"] is False
    row = next(r for r in body["items"] if r["unit_code"] == f.COMMUNE)
    assert row["rank"] == 1  # the one approved unit: the only one with final points
    with collecting.session() as s:
        final = s.scalars(select(ResultRun).where(ResultRun.variant == "final")).one()
        assert body["run_id"] == final.id and not final.published
        assert {d.state for d in s.scalars(select(WebhookDelivery)).all()} == {"delivered"}
    types = [e["type"] for e in receiver.events()]
    assert types.count("vn.chiso.unit.approved") == 1 and types.count("vn.chiso.result.updated") == 1
    updated = next(e for e in receiver.events() if e["type"] == "vn.chiso.result.updated")
    assert updated["data"]["run_id"] == final.id
    assert updated["data"]["ranking"][0] == {
        "unit_code": f.COMMUNE,
        "unit_name": "Phường Đức Xuân",
        "value": row["value"],
        "rank": 1.0,
    }
    # Nothing new: a second pass computes nothing and sends nothing.
    assert delivery.run_once(sessions=collecting.session, source="/chiso/19") == 0


def test_measured_values_recompute_every_variant(collecting, receiver):
    with collecting.session() as s:
        hooks.add(session=s, url=receiver.url, event_types=["vn.chiso.values.*"], actor=collecting.people["admin"])
        s.commit()
    token = token_for(collecting, "measure", "write")  # measured values come from the measuring service only
    value = {"unit_code": f.COMMUNE, "variable": "population", "period": "2025", "value": 12000}
    posted = collecting.client().post("/api/v1/values", json=value, headers={"Authorization": f"Bearer {token}"})
    assert posted.status_code == 201, posted.text[:500]
    delivery.run_once(sessions=collecting.session, source="/chiso/19")
    with collecting.session() as s:
        assert sorted(r.variant for r in s.scalars(select(ResultRun)).all()) == ["appraised", "final", "self_assessed"]
    (event,) = receiver.events()
    assert event["type"] == "vn.chiso.values.measured" and event["subject"] == "values/2025"
    assert event["data"]["units"] == [{"code": f.COMMUNE, "name": "Phường Đức Xuân"}]
    assert event["data"]["variables"] == ["population"]
