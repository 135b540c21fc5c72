from __future__ import annotations

import pytest
from tests import factories as f

from chiso.dashboard import service, whatif
from chiso.errors import NotFound
from chiso.permissions import PUBLIC


def test_ranking_profile_and_improvements(db_session):
    people = f.people(db_session)
    f.open_period(db_session, people["admin"])
    f.results_for(db_session, people)
    ranking = service.ranking(session=db_session, actor=PUBLIC, period_code=f.PERIOD)
    assert [r.unit_code for r in ranking.rows] == [f.COMMUNE, f.OTHER]
    assert ranking.rows[0].rank == 1 and ranking.map_kind == "commune" and ranking.province == "19"
    assert {g.code for g in ranking.groups} >= {"phuong"}
    profile = service.unit_profile(session=db_session, actor=PUBLIC, period_code=f.PERIOD, unit_code=f.OTHER)
    assert profile.index.rank == 2 and not profile.can_see_declarations
    assert profile.weaknesses and profile.weaknesses[0].lost > 0
    gains = whatif.improve_first(session=db_session, actor=PUBLIC, period_code=f.PERIOD, unit_code=f.OTHER)
    assert gains and gains[0].index_gain > 0
    assert any(g.rank_after is not None and g.rank_after <= g.rank_before for g in gains)


def test_public_sees_published_results_only(db_session):
    people = f.people(db_session)
    f.open_period(db_session, people["admin"])
    f.results_for(db_session, people, publish=False)
    with pytest.raises(NotFound):
        service.ranking(session=db_session, actor=PUBLIC, period_code=f.PERIOD)
    assert service.list_periods(session=db_session, actor=PUBLIC) == []
    seen = service.ranking(session=db_session, actor=people["appraiser"], period_code=f.PERIOD)
    assert not seen.run.published and len(seen.rows) == 2


def test_what_if_reproduces_the_stored_run(db_session):
    import numpy as np

    from chiso.collection import service as collection
    from chiso.dashboard import rundata
    from chiso.results.models import ResultRun

    people = f.people(db_session)
    period = f.open_period(db_session, people["admin"])
    runs = f.results_for(db_session, people)
    framework = collection.framework_of(period)
    data = rundata.load(db_session, db_session.get(ResultRun, runs["final"].id))
    base = {i.code: data.values[i.code] for i in framework.indicators}
    values, ranks = whatif._run(framework, data.units, base, [])
    np.testing.assert_allclose(values[0], data.values[framework.index])
    np.testing.assert_array_equal(ranks[0], data.ranks[framework.index])


def test_runs_from_simulated_values_say_so(db_session):
    from chiso.actors import service as actors
    from chiso.collection import service as collection
    from chiso.results import service as results
    from chiso.values import service as values
    from chiso.values.schemas import ValueIn

    people = f.people(db_session)
    f.open_period(db_session, people["admin"])
    # Submitted, not yet accepted: a measured value may still come in (never onto an accepted item).
    for unit, officer in ((f.COMMUNE, people["officer"]), (f.OTHER, people["other"])):
        f.declare_all(db_session, officer, unit=unit)
        collection.submit(session=db_session, period_code=f.PERIOD, unit_code=unit, actor=officer)
    runs = {r.variant: r for r, _ in results.compute(session=db_session, period_code=f.PERIOD, actor=people["admin"])}
    seen = service.ranking(session=db_session, actor=people["appraiser"], period_code=f.PERIOD)
    assert seen.run.id == runs["final"].id and not seen.run.simulated
    system = actors.ensure(session=db_session, user="demo", roles={"system"}, actor=people["admin"])
    values.record(
        session=db_session,
        value_in=ValueIn(
            era="2025",
            unit_code=f.OTHER,
            variable="population",
            period="2025",
            value=9000,
            source="measured",
            lineage={"simulated": True, "by": "chiso.demo"},
        ),
        actor=system,
    )
    results.compute(session=db_session, period_code=f.PERIOD, actor=people["admin"])
    again = service.ranking(session=db_session, actor=people["appraiser"], period_code=f.PERIOD)
    assert again.run.id != runs["final"].id and again.run.simulated
