"""Result runs: three variants from stored values; a published run cannot change."""

from __future__ import annotations

import pytest
from tests.factories import COMMUNE, PERIOD, declare_all, open_period, people

from chiso.collection import review
from chiso.collection import service as collection
from chiso.errors import ImmutableError, TransitionRefused
from chiso.results import service as results


def approved_commune(s):
    p = people(s)
    open_period(s, p["admin"], units=[COMMUNE])
    declare_all(s, p["officer"])
    collection.submit(session=s, period_code=PERIOD, unit_code=COMMUNE, actor=p["officer"])
    review.accept(
        session=s, period_code=PERIOD, unit_code=COMMUNE, indicators=["c2_1"], appraised_score=15, actor=p["appraiser"]
    )
    review.accept(session=s, period_code=PERIOD, unit_code=COMMUNE, actor=p["appraiser"])
    return p


def points(run, node):
    return {(r.unit_code, r.node): r.value for r in run.rows}[(COMMUNE, node)]


def test_three_variants_and_publication(db_session):
    s = db_session
    p = approved_commune(s)
    runs = {r.variant: r for r, created in results.compute(session=s, period_code=PERIOD, actor=p["appraiser"])}
    assert set(runs) == {"self_assessed", "appraised", "final"}
    # c1_1: self-score 4; the rule gives 120 / 400 × 10 = 3. c2_1: self 30, appraised 15.
    assert points(runs["self_assessed"], "c1_1") == 4 and points(runs["appraised"], "c1_1") == pytest.approx(3)
    assert points(runs["self_assessed"], "c2_1") == 30 and points(runs["appraised"], "c2_1") == 15
    assert points(runs["self_assessed"], "commune_dx") == 44
    assert points(runs["appraised"], "commune_dx") == pytest.approx(28)
    assert points(runs["final"], "commune_dx") is None  # nothing approved yet: no final score
    assert {r.node for r in runs["final"].rows} >= {"commune_dx", "c6_8"}

    again = results.compute(session=s, period_code=PERIOD, actor=p["appraiser"])
    assert [created for _, created in again] == [False, False, False]

    review.approve(session=s, period_code=PERIOD, unit_code=COMMUNE, actor=p["appraiser"])
    final = next(r for r, created in results.compute(session=s, period_code=PERIOD, actor=p["admin"]) if created)
    assert final.variant == "final" and points(final, "commune_dx") == pytest.approx(28)

    results.publish(session=s, run_id=final.id, actor=p["admin"])
    period = collection.get_period(session=s, code=PERIOD)
    assert period.state == "published"
    with pytest.raises(ImmutableError):
        results.publish(session=s, run_id=final.id, actor=p["admin"])
    # a published period is read-only, a published run cannot change
    with pytest.raises(TransitionRefused, match="published"):
        declare_all(s, p["officer"], items=[collection.DeclarationIn(indicator="c3_6", values={"cyber_training": 1})])
    final.rows[0].value = 999.0
    with pytest.raises(ImmutableError):
        s.flush()
    s.rollback()


def test_published_flag_cannot_be_taken_back(db_session):
    s = db_session
    p = approved_commune(s)
    run, _ = results.compute(session=s, period_code=PERIOD, actor=p["appraiser"], variants=["appraised"])[0]
    results.publish(session=s, run_id=run.id, actor=p["admin"])
    s.flush()
    run.published = False
    with pytest.raises(ImmutableError):
        s.flush()
    s.rollback()
