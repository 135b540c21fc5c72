"""Issue 11, item 5: nothing writes around the workflow. The value API refuses values into a locked
period or onto an accepted item (for everyone), and `measured` values from anyone but the measuring
service."""

from __future__ import annotations

from tests import factories as f
from tests.web.conftest import token_for

from chiso.collection import review
from chiso.collection import service as collection

PROBLEM = "application/problem+json"


def _post(site, user: str, body: dict):
    token = token_for(site, user, "write")
    return site.client().post("/api/v1/values", json=body, headers={"Authorization": f"Bearer {token}"})


def test_no_value_goes_into_a_published_period(published):
    body = {"unit_code": f.COMMUNE, "variable": "population", "period": "2025", "value": 1, "source": "imported"}
    for user in ("canbo.ducxuan", "admin"):
        refused = _post(published, user, body)
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"].startswith(PROBLEM)
        detail = refused.json()["detail"]
        assert "đã khoá" in detail and "locked" in detail and f.PERIOD in detail
    # The same code in the other era is another unit, in no locked period.
    other_era = _post(published, "admin", {**body, "unit_era": "2024"})
    assert other_era.status_code == 201, other_era.text


def test_no_value_goes_into_a_closed_period(collecting):
    with collecting.session() as s:
        collection.close_period(session=s, code=f.PERIOD, actor=collecting.people["admin"])
        s.commit()
    body = {"unit_code": f.OTHER, "variable": "population", "period": "2025", "value": 1, "source": "imported"}
    refused = _post(collecting, "canbo.backan", body)
    assert refused.status_code == 409 and refused.headers["content-type"].startswith(PROBLEM)
    assert "đã đóng" in refused.json()["detail"] and "is closed and locked" in refused.json()["detail"]


def test_no_value_goes_onto_an_accepted_item(collecting):
    with collecting.session() as s:
        review.accept(session=s, period_code=f.PERIOD, unit_code=f.COMMUNE, actor=collecting.people["appraiser"])
        s.commit()
    body = {"unit_code": f.COMMUNE, "variable": "cyber_drill", "period": "2025", "value": 0, "source": "imported"}
    for user in ("canbo.ducxuan", "admin"):
        refused = _post(collecting, user, body)
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"].startswith(PROBLEM)
        detail = refused.json()["detail"]
        assert "c3_5" in detail and "accepted" in detail and "đã được chấp nhận" in detail
    # A figure of an item still in draft (OTHER's) stays writable by the unit's officer.
    draft = {**body, "unit_code": f.OTHER}
    assert _post(collecting, "canbo.backan", draft).status_code == 201


def test_only_the_measuring_service_records_measured_values(collecting):
    body = {"unit_code": f.OTHER, "variable": "population", "period": "2025", "value": 5000, "source": "measured"}
    for user in ("canbo.backan", "admin"):
        refused = _post(collecting, user, {**body, "lineage": {"measure": "made-up"}})
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert "value.measure" in refused.json()["detail"]
    made = _post(collecting, "measure", body)
    assert made.status_code == 201 and made.json()["source"] == "measured" and made.json()["recorded_by"] == "measure"


def test_a_measuring_run_stores_what_is_open_and_names_what_is_settled(collecting):
    from chiso.permissions import MEASURE
    from chiso.values import service as values
    from chiso.values.schemas import ValueIn

    with collecting.session() as s:
        review.accept(session=s, period_code=f.PERIOD, unit_code=f.COMMUNE, actor=collecting.people["appraiser"])
        s.commit()
    measured = {"variable": "cyber_drill", "period": "2025", "value": 1.0, "source": "measured", "lineage": {"m": 1}}
    batch = [ValueIn(era="2025", unit_code=unit, **measured) for unit in (f.COMMUNE, f.OTHER)]
    with collecting.session() as s:
        rows, skipped = values.record_open(session=s, values_in=batch, actor=MEASURE)
        s.commit()
    assert [(r.unit_code, r.variable, r.source) for r in rows] == [(f.OTHER, "cyber_drill", "measured")]
    assert [v.unit_code for v, _ in skipped] == [f.COMMUNE] and "đã được chấp nhận" in skipped[0][1]
    with collecting.session() as s:  # the same again: nothing new, the settled one still named
        rows, skipped = values.record_open(session=s, values_in=batch, actor=MEASURE)
    assert rows == [] and len(skipped) == 1
