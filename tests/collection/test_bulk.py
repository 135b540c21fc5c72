"""Declaring a whole form at once gives what declaring item by item gives, and refuses the same things."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.factories import COMMUNE, DECLARATIONS, OTHER, PERIOD, doc, open_period, people

from chiso.audit.models import AuditEntry
from chiso.collection import bulk
from chiso.collection import service as collection
from chiso.collection.schemas import DeclarationIn
from chiso.errors import ChisoError, PermissionDenied, TransitionRefused
from chiso.units.ref import UnitRef
from chiso.values import service as values


def picture(session, unit):
    period = collection.get_period(session=session, code=PERIOD)
    submission = collection.get_submission(session=session, period=period, unit_code=unit)
    items = {
        i.indicator_code: (i.state, i.self_score, i.explanation, [(e.doc_number, e.doc_date) for e in i.evidence])
        for i in collection.items(session=session, submission=submission)
    }
    figures = {
        var: (v.value, v.version, v.source)
        for (_, var), v in values.current(session=session, period="2025", era="2025", unit_codes=[unit]).items()
    }
    audits = session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_key.like(f"{PERIOD}/{unit}/%")).order_by(AuditEntry.id)
    ).all()
    return items, figures, sorted(audits)


def test_a_batch_gives_what_single_declarations_give(db_session):
    who = people(db_session)
    open_period(db_session, who["admin"])
    for item in DECLARATIONS:
        collection.declare(
            session=db_session, period_code=PERIOD, unit_code=COMMUNE, item_in=item, actor=who["officer"]
        )
    changed = bulk.declare_many(
        session=db_session,
        period_code=PERIOD,
        unit_code=OTHER,
        items_in=DECLARATIONS,
        actor=who["other"],
        lineage={"simulated": True},
    )
    assert changed == [d.indicator for d in DECLARATIONS]
    assert picture(db_session, COMMUNE) == picture(db_session, OTHER)
    stored = values.get_current(session=db_session, unit=UnitRef("2025", OTHER), variable="cyber_drill", period="2025")
    assert stored.lineage == {"period": PERIOD, "indicator": "c3_5", "simulated": True}
    # the same batch again changes nothing; a changed figure makes one new version
    assert (
        bulk.declare_many(
            session=db_session, period_code=PERIOD, unit_code=OTHER, items_in=DECLARATIONS, actor=who["other"]
        )
        == []
    )
    again = DeclarationIn(indicator="c3_5", values={"cyber_drill": 0}, self_score=0, evidence=())
    assert bulk.declare_many(
        session=db_session, period_code=PERIOD, unit_code=OTHER, items_in=[again], actor=who["other"]
    ) == ["c3_5"]
    assert (
        values.get_current(
            session=db_session, unit=UnitRef("2025", OTHER), variable="cyber_drill", period="2025"
        ).version
        == 2
    )


def test_a_batch_is_refused_as_a_whole(db_session):
    who = people(db_session)
    open_period(db_session, who["admin"])
    with pytest.raises(PermissionDenied):
        bulk.declare_many(
            session=db_session, period_code=PERIOD, unit_code=OTHER, items_in=DECLARATIONS, actor=who["officer"]
        )
    clash = [
        DeclarationIn(indicator="c1_2", values={"population": 1000, "population_5g_covered": 10}),
        DeclarationIn(indicator="c6_4", values={"population": 1200, "residents_ehealth_record": 10}),
    ]
    with pytest.raises(ChisoError, match="population"):
        bulk.declare_many(
            session=db_session, period_code=PERIOD, unit_code=COMMUNE, items_in=clash, actor=who["officer"]
        )
    wrong = [DECLARATIONS[0], DeclarationIn(indicator="c3_5", values={"population": 3})]
    with pytest.raises(ChisoError, match="reads cyber_drill"):
        bulk.declare_many(
            session=db_session, period_code=PERIOD, unit_code=COMMUNE, items_in=wrong, actor=who["officer"]
        )
    assert picture(db_session, COMMUNE)[1] == {}
    bulk.declare_many(
        session=db_session, period_code=PERIOD, unit_code=COMMUNE, items_in=DECLARATIONS, actor=who["officer"]
    )
    collection.submit(session=db_session, period_code=PERIOD, unit_code=COMMUNE, actor=who["officer"])
    late = DeclarationIn(indicator="c3_5", values={"cyber_drill": 1}, self_score=5, evidence=(doc(),))
    with pytest.raises(TransitionRefused):
        bulk.declare_many(
            session=db_session, period_code=PERIOD, unit_code=COMMUNE, items_in=[late], actor=who["officer"]
        )
