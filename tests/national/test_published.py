"""A published figure replaces a simulated one even when the numbers are equal: its provenance changed."""

from __future__ import annotations

from chiso.national import service as national
from chiso.values import service as values
from tests import factories as f


def test_a_published_figure_replaces_an_equal_simulated_one(db_session):
    admin = f.people(db_session)["admin"]
    entry = national.Entry("19", "awareness", 1.0, {"simulated": True})
    assert national.record(session=db_session, year=2024, era="2025", entries=[entry], actor=admin) == 1
    published = national.Entry("19", "awareness", 1.0, {"simulated": False, "source": "dti-2024.csv"})
    assert national.record(session=db_session, year=2024, era="2025", entries=[published], actor=admin) == 1
    current = values.current(session=db_session, period="2024", era="2025", unit_codes=["19"], variables=["awareness"])
    value = current[("19", "awareness")]
    assert value.value == 1.0 and value.version == 2 and value.lineage["simulated"] is False
    assert national.record(session=db_session, year=2024, era="2025", entries=[published], actor=admin) == 0
