"""Issue 11, item 3: a unit is (era, code). 01843 is Phường Phùng Chí Kiên in era 2024 and Phường Bắc
Kạn in era 2025; their values, result rows and API rows stay apart."""

from __future__ import annotations

from tests import factories as f
from tests.web.conftest import token_for

from chiso.results import service as results
from chiso.units.ref import CURRENT_ERA, UnitRef
from chiso.values import service as values
from chiso.values.schemas import ValueIn

P = f.PERIOD.replace("/", "%2F")


def test_the_unit_ref():
    ref = UnitRef("2024", "00004")
    assert str(ref) == "2024:00004" and UnitRef.parse("2024:00004") == ref
    assert ref != UnitRef("2025", "00004") and CURRENT_ERA == "2025"


def test_two_eras_keep_their_values_apart(collecting):
    admin = collecting.people["admin"]
    with collecting.session() as s:
        before = {r.variant: r for r, _ in results.compute(session=s, period_code=f.PERIOD, actor=admin)}
        for variable, value in (("fixed_broadband_users", 999), ("fixed_broadband_users_gigabit", 999)):
            row = values.record(
                session=s,
                value_in=ValueIn(
                    era="2024", unit_code=f.OTHER, variable=variable, period="2025", value=value, source="imported"
                ),
                actor=admin,
            )
            assert row is not None and row.version == 1 and row.era == "2024"
        old = values.current(session=s, period="2025", era="2024", unit_codes=[f.OTHER])
        new = values.current(session=s, period="2025", era="2025", unit_codes=[f.OTHER])
        assert old[(f.OTHER, "fixed_broadband_users")].value == 999
        assert new[(f.OTHER, "fixed_broadband_users")].value == 400
        again = results.compute(session=s, period_code=f.PERIOD, actor=admin)
        assert all(not created and run.id == before[run.variant].id for run, created in again)  # nothing leaked in
        assert {row.era for run, _ in again for row in run.rows} == {"2025"}
        s.commit()
    token = token_for(collecting, "admin", "write")
    api = collecting.client()
    headers = {"Authorization": f"Bearer {token}"}
    body = {"unit_code": f.OTHER, "variable": "population", "period": "2025", "value": 7, "source": "imported"}
    old_era = api.post("/api/v1/values", json={**body, "unit_era": "2024"}, headers=headers)
    assert old_era.status_code == 201 and old_era.json()["unit_era"] == "2024" and old_era.json()["version"] == 1
    new_era = api.post("/api/v1/values", json={**body, "value": 8}, headers=headers)  # default: the current era
    assert new_era.status_code == 201 and new_era.json()["unit_era"] == "2025" and new_era.json()["version"] == 1
    listed = api.get(f"/api/v1/values?period={P}&unit={f.OTHER}", headers=headers).json()["items"]
    assert {v["unit_era"] for v in listed} == {"2025"}
    assert {v["variable"]: v["value"] for v in listed}["fixed_broadband_users"] == 400
    assert {v["variable"]: v["value"] for v in listed}["population"] == 8
    rows = api.get(f"/api/v1/results?period={P}&variant=self_assessed&unit={f.OTHER}", headers=headers).json()
    assert rows["items"] and {r["unit_era"] for r in rows["items"]} == {"2025"}
    ranked = api.get(f"/api/v1/rankings?period={P}&variant=self_assessed", headers=headers).json()
    assert ranked["unit_era"] == "2025" and f.OTHER in {r["unit_code"] for r in ranked["items"]}


def test_an_officer_acts_for_their_unit_not_its_namesake_of_the_other_era(collecting):
    """canbo.ducxuan is the officer of 2025:01840; 2024:01840 is another ward (of the former Bắc Kạn)."""
    token = token_for(collecting, "canbo.ducxuan", "write")
    body = {"unit_code": f.COMMUNE, "variable": "population", "period": "2024", "value": 7, "source": "imported"}
    api = collecting.client()
    headers = {"Authorization": f"Bearer {token}"}
    refused = api.post("/api/v1/values", json={**body, "unit_era": "2024"}, headers=headers)
    assert refused.status_code == 403 and "2024:01840" in refused.json()["detail"]
    assert api.post("/api/v1/values", json=body, headers=headers).status_code == 201
