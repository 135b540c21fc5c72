"""The demo database: built through the services, published ranks in place, every simulated figure
labelled, deterministic and idempotent, and what the programme and the tasks read from it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.conftest import BACKENDS, TEST_CLOCK, fresh_database

from chiso import migrations, units
from chiso.collection import service as collection
from chiso.collection.models import Appraisal, CollectionPeriod, Declaration, Submission
from chiso.db import make_engine, transaction
from chiso.demo import builder, figures
from chiso.demo import national as simulated
from chiso.errors import ChisoError
from chiso.national import service as national
from chiso.programme import evaluate, load_programme, tasks
from chiso.programme.observed import observations
from chiso.results.models import ResultRun
from chiso.settings import Settings
from chiso.values.models import Value

COMMUNES = 6
SEED = builder.DEFAULT_SEED


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    """The demo's data folder (the lake of simulated records it measures from)."""
    return Settings(data_dir=tmp_path_factory.mktemp("demo-data"))


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request, tmp_path_factory, settings) -> Iterator[Engine]:
    """A small demo (6 communes, every department) built once per backend for this module."""
    with fresh_database(request.param, tmp_path_factory.mktemp(f"demo-{request.param}")) as url:
        engine = make_engine(url)
        try:
            migrations.upgrade(engine)
            with transaction(engine, TEST_CLOCK) as session:
                summary = builder.build(session, settings, seed=SEED, communes=COMMUNES)
            assert summary.built
            yield engine
        finally:
            engine.dispose()


@pytest.fixture
def session(demo) -> Iterator[Session]:
    with transaction(demo, TEST_CLOCK) as s:
        yield s


def test_building_again_changes_nothing(demo, session, settings):
    before = builder.counts(session)
    again = builder.build(session, settings, seed=SEED, communes=COMMUNES)
    assert not again.built and builder.counts(session) == before
    with pytest.raises(ChisoError, match="rebuild it with --reset"):
        builder.build(session, settings, seed=SEED + 1, communes=COMMUNES)


MEASURABLE = ("c4_4", "c4_6", "c4_10", "c4_11", "c4_18", "c4_19", "c4_21")  # bold in SUBUNIT_SETS.md


def test_the_measurable_commune_indicators_come_from_records(session):
    from chiso.framework import load_framework

    framework = load_framework("commune-2025")
    variables = {v for code in MEASURABLE for v in framework.node(code).variables}
    communes = {u.code for u in national.units.list_units(era="2025", kind="commune", province="19")[:COMMUNES]}
    rows = session.scalars(select(Value).where(Value.variable.in_(variables), Value.unit_code.in_(communes))).all()
    assert rows and {(v.unit_code, v.variable, v.period) for v in rows} == {
        (u, var, str(y)) for u in communes for var in variables for y in builder.YEARS
    }
    for value in rows:
        assert value.source == "measured", (value.unit_code, value.variable, value.source)
        assert value.lineage["set"] == "commune-2025" and value.lineage["simulated"] is True
        assert value.lineage["records"] > 0 and value.lineage["files"]
    # the officers typed none of them in, and claimed no points for them: the records give the points
    items = session.scalars(select(Declaration).where(Declaration.indicator_code.in_(MEASURABLE))).all()
    assert items and all(i.self_score is None for i in items)
    published = collection.get_period(session=session, code="2024/commune-2025")
    assert all(i.state == "published" for i in items if i.submission.period_id == published.id)


def test_the_province_its_periods_and_results(session):
    periods = {p.code: p.state for p in session.scalars(select(CollectionPeriod))}
    assert periods == {
        "2023/commune-2025": "published",
        "2023/department-2025": "published",
        "2024/commune-2025": "published",
        "2024/department-2025": "published",
        "2025/commune-2025": "open",
        "2025/department-2025": "open",
    }
    scope = collection.submissions(
        session=session, period=collection.get_period(session=session, code="2024/department-2025")
    )
    assert len(scope) == 12 and {s.unit_code for s in scope} >= {"19-SKHCN", "19-TTRA"}
    runs = [tuple(r) for r in session.execute(select(ResultRun.variant, ResultRun.published)).all()]
    assert sorted(runs) == sorted([(v, v == "final") for v in ("self_assessed", "appraised", "final")] * 4)
    # the demo officers' units are left with a draft to finish in 2025
    period = collection.get_period(session=session, code="2025/commune-2025")
    draft = collection.get_submission(session=session, period=period, unit_code="01840")
    assert draft.state == "draft"


def test_appraisal_returns_lowers_and_raises(session):
    decisions = session.execute(select(Appraisal.decision, Appraisal.comment, Appraisal.declaration_id)).all()
    returned = {d for decision, comment, d in decisions if decision == "return"}
    assert returned and all(
        c.startswith("Cần bổ sung minh chứng") for decision, c, _ in decisions if decision == "return"
    )
    accepted_after = {d for decision, _, d in decisions if decision == "accept"} & returned
    assert accepted_after, "a returned item was resubmitted and accepted"
    items = session.execute(
        select(Declaration.self_score, Declaration.appraised_score).where(Declaration.appraised_score.is_not(None))
    ).all()
    assert any(a < s for s, a in items if s is not None) and any(a > s for s, a in items if s is not None)


def test_every_simulated_figure_says_so(session):
    stored = session.execute(
        select(Value.unit_code, Value.era, Value.period, Value.variable, Value.lineage, Value.source)
    ).all()
    rows = [(u, (era, p), v, lineage, source) for u, era, p, v, lineage, source in stored]  # a unit is (era, code)
    assert all(lineage is not None and "simulated" in lineage for *_, lineage, _ in rows)
    published = {(u, p, v) for u, p, v, lineage, _ in rows if not lineage["simulated"] and "derived" not in lineage}
    # not simulated: published (with its source), or derived from published figures only (a province the
    # 2025 merger left whole, like Quảng Ninh)
    assert all("source" in lineage or "derived" in lineage for *_, lineage, _ in rows if not lineage["simulated"])
    main = set(national.main_indicators(2022))
    five = {(u, ("2024", "2022"), v) for u in ("48", "79", "22", "46", "92") for v in main}  # (era, period)
    assert five <= published
    others = {key for key in published if key not in five}
    assert {v for _, _, v in others} <= {
        national.PUBLISHED_DTI,
        national.PUBLISHED_RANK,
        "level4_services_share",
        "households_fibre_share",
        "smartphone_user_share",
    }
    declared = [lineage for *_, lineage, source in rows if source == "declared"]
    assert declared and all(lineage["simulated"] is True for lineage in declared)


def test_the_published_ranks_hold(session):
    def rank(year: int, era: str, unit: str) -> int:
        ranked = national.ranking(session=session, year=year, era=era)
        return int(ranked.set_index("unit").at[unit, "rank"])

    assert (rank(2020, "2024", "19"), rank(2021, "2024", "19"), rank(2022, "2024", "19")) == (12, 8, 8)
    assert (rank(2022, "2024", "74"), rank(2023, "2024", "74"), rank(2022, "2024", "06")) == (19, 7, 63)
    assert rank(2024, "2025", "19") == 8
    ranked = national.ranking(session=session, year=2022, era="2024").set_index("unit")
    assert len(ranked) == 63 and list(ranked.index[:5]) == ["48", "79", "22", "46", "92"]
    for unit, published in ranked[national.PUBLISHED_DTI].dropna().items():
        assert abs(ranked.at[unit, "dti"] - published) < 1e-4
    year2023 = national.ranking(session=session, year=2023, era="2024").set_index("unit")
    assert round(year2023.at["74", "dti"], 4) == 0.7411
    new = national.table(session=session, year=2024, era="2025").set_index("unit")
    assert len(new) == 34 and (new.at["19", "awareness"], new.at["19", "institutions"]) == (1.0, 1.0)
    assert list(national.years(session=session, era="2025")) == [2020, 2021, 2022, 2023, 2024]


def test_the_programme_reads_the_demo(session):
    programme = load_programme("01/NQ-TU")
    table = observations(session=session, programme=programme)
    found = {s.target.code: s for s in evaluate(programme, table)}
    # "Top 15 by 2025" was set among the 63 provinces: read there, the published 8th place of 2022 is taken
    # before the recomputed one, and a year before 2025 is interim: on track, not "achieved" (issue 13).
    rank = found["dti_rank_2025"]
    assert rank.status.value == "on_track" and rank.reason.code == "meets_early" and rank.latest <= 15
    ranks = table[(table["variable"] == "dti") & (table["unit"] == "19")]
    assert ranks.loc[ranks["period"] == 2022, "rank_published"].tolist() == [8]
    # Level 4 is measured from the procedure catalogue from 2023 on (issue 15, item 6: it read its imported
    # series, on track on the published 100 % of 2021); the published 2020 and 2021 figures, counted under
    # the former levels, stay. The simulated 2025, the target year, has fewer than all eligible procedures
    # fully online: the target is late, and says so with the measured figure.
    level4 = table[table["variable"] == "level4_services_share"].set_index("period")
    assert level4["source"].to_dict() == {2020: "imported", 2021: "imported", 2023: "measured", 2024: "measured",
                                          2025: "measured"}  # fmt: skip
    assert level4.loc[2025, "lineage"].measure == "service-2025:procedures_full_online"
    assert level4.loc[2025, "lineage"].records > 0 and level4.loc[2025, "lineage"].simulated
    assert 0.5 < level4.loc[2023, "value"] < level4.loc[2024, "value"] < level4.loc[2025, "value"] < 1
    level4_status = found["level4_services"]
    assert (level4_status.latest_year, level4_status.status.value) == (2025, "late")
    assert level4_status.reason.code == "late_observed" and level4_status.latest == level4.loc[2025, "value"]
    assert found["dx_specialists"].status.value == "no_data"
    assert found["digital_tech_enterprises"].forecast is not None
    # the work records online are measured from the document system's records from 2023 on (issue 15, item 6)
    commune = table[table["variable"] == "work_records_online_share_commune"].set_index("period")
    assert found["work_records_online_commune"].latest_year == 2025
    assert commune["source"].to_dict() == {2021: "imported", 2022: "imported", 2023: "measured", 2024: "measured",
                                           2025: "measured"}  # fmt: skip
    lineage = commune.loc[2025, "lineage"]
    assert lineage.measure == "service-2025:work_records_by_level" and lineage.records > 0 and lineage.simulated
    # what the communes declared is not read: only imported and measured figures
    provinces = {u.code for era in ("2024", "2025") for u in national.units.list_units(era=era, kind="province")}
    assert set(table["unit"]) <= provinces  # the 63 (rank targets set among them) and the 34


def test_the_example_plan(session):
    from chiso.actors import service as actors

    actor = actors.get_by_user(session=session, user="admin")
    plan = tasks.get_plan(session=session, code="VD-01/KH-CĐS")
    assert "ví dụ minh họa" in plan.name and plan.programme == "thai-nguyen-01-nq-tu"
    late = tasks.overdue(session=session, actor=actor, today=dt.date(2025, 11, 1), unit_code="01843")
    assert [(o.task.code, o.role) for o in late] == [("2.1", "lead")]
    officer = actors.get_by_user(session=session, user="canbo.ducxuan")
    mine = tasks.list_tasks(session=session, actor=officer, unit_code="01840")
    assert {"1.3", "8.1"} <= {t.code for t in mine if t.lead_unit == "01840"}


def test_the_simulation_is_deterministic():
    first, second = simulated.simulate(7), simulated.simulate(7)
    assert {k: v.vectors for k, v in first.items()} == {k: v.vectors for k, v in second.items()}
    assert first[(2022, "2024")].vectors != simulated.simulate(8)[(2022, "2024")].vectors
    from chiso.framework import load_framework

    sim = figures.Simulator(load_framework("commune-2025"), 7)
    profile = figures.Profile.draw(7, "01840", "phuong")
    assert sim.figures(profile, 2024) == sim.figures(profile, 2024)


def content(engine: Engine) -> tuple[object, ...]:
    """Everything the simulation decides: values, declarations' scores, states (not ids or times)."""
    with transaction(engine, TEST_CLOCK) as s:
        rows = s.execute(select(Value.unit_code, Value.variable, Value.period, Value.value, Value.version)).all()
        scores = s.execute(
            select(Declaration.indicator_code, Declaration.self_score, Declaration.appraised_score)
        ).all()
        states = s.scalars(select(Submission.state)).all()
    return sorted(map(tuple, rows)), sorted(map(tuple, scores), key=str), sorted(states)


def test_the_demo_from_the_cli_and_its_determinism(cli, cli_env, tmp_path):
    built = cli("demo", "build", "--communes", "1", "--seed", "5")
    assert built.exit_code == 0, built.stderr
    assert "2025/commune-2025" in built.stdout and "Thái Nguyên hạng 8" in built.stdout
    again = cli("demo", "build", "--communes", "1", "--seed", "5")
    assert again.exit_code == 0 and "nothing changed" in again.stdout
    other = cli("demo", "build", "--communes", "2", "--seed", "5")
    assert other.exit_code == 2 and "--reset" in other.stderr
    status = cli("programme", "status", "01/NQ-TU", "--format", "json")
    assert status.exit_code == 0, status.stderr
    records = {r["target"]: r for r in json.loads(status.stdout)}
    # among the 63 provinces the target was set in, 2024's rank is recomputed from simulated indices (issue 13)
    assert records["dti_rank_2030"]["status"] == "on_track" and records["dti_rank_2030"]["simulated"] is True
    assert records["work_records_online_province"]["simulated"] is True
    accounts = cli("demo", "accounts")
    assert accounts.exit_code == 0 and "canbo.ducxuan" in accounts.stdout and "viewer" in accounts.stdout
    ranking = cli("demo", "ranking")
    assert "0,8002" in ranking.stdout
    # the same seed gives the same demo, whoever builds it
    engine = make_engine(f"sqlite:///{tmp_path / 'again.sqlite3'}")
    migrations.upgrade(engine)
    with transaction(engine, TEST_CLOCK) as s:
        builder.build(s, Settings(), seed=5, communes=1)
    cli_engine = make_engine(cli_env)
    try:
        assert content(engine) == content(cli_engine)
    finally:
        engine.dispose()
        cli_engine.dispose()


def test_the_2024_open_data_release_is_a_valid_data_package(session, tmp_path):
    """Issue 13: `frictionless validate` passes on the demo's 2024 release; simulated figures say so."""
    from frictionless import validate

    from chiso.reports import opendata

    release = opendata.build(session=session, year=2024)
    path = release.write(tmp_path)
    report = validate(str(path))
    assert report.valid, report.flatten(["type", "note"])[:10]
    assert {p["framework"] for p in release.tables["periods"]} == {"commune-2025", "department-2025"}
    values = release.tables["values"]
    assert values and all(v["simulated"] for v in values)  # every demo figure is simulated, and says so
    assert {v["source"] for v in values} >= {"declared", "measured"}
    assert release.descriptor["chiso"]["simulated_values"] == len(values)


def test_early_warning_has_the_last_weeks_dossiers_and_no_years_old_ones(demo, settings):
    from chiso.sources.lake import Lake
    from chiso.sources.warning import local, warnings

    lake = Lake.at(settings.data_dir, settings.make_clock())
    now = local(lake.clock.now())  # after the build: the feed's versions are the current ones
    found = warnings(lake, at=now, within=3)
    received = found.dossiers["received_at"]
    assert len(found.dossiers) > 20 and set(found.dossiers["unit_era"]) == {"2025"}
    assert (received > now - dt.timedelta(days=30)).all()  # the simulated years' open dossiers were resolved
    assert {"overdue", "due_soon", "later"} <= set(found.dossiers["state"])
    assert found.dossiers["simulated"].all()


def test_the_example_dti_component_list_is_marked_as_an_example(session):
    from chiso.ministry import service as ministry

    stored = ministry.current_list(session=session, year=2025)
    assert stored.note == "ví dụ minh họa" and stored.province == "19" and len(stored.rows) == 47
    assert "ví dụ minh họa" in stored.framework_version.name
    assert all("không phải danh mục của Bộ" in row["cells"]["Ghi chú"] for row in stored.rows)
    assert {row["lead"] for row in stored.rows} <= {u.code for u in units.list_units(era="2025", kind="department")}


def test_the_766_rankings_for_2023_to_2025(session):
    from chiso.service766.models import Service766Score

    rows = session.scalars(select(Service766Score)).all()
    years = {(r.unit_kind, r.period) for r in rows if r.grain == "year"}
    assert {("province", y) for y in ("2023", "2024", "2025")} <= years
    assert {("commune", y) for y in ("2023", "2024", "2025")} <= years
    assert ("department", "2025") in years  # departments keep records from 1/7/2025
    for kind, period in (("commune", "2024"), ("commune", "2025-09"), ("department", "2025-09")):
        ranked = sorted((r for r in rows if r.unit_kind == kind and r.period == period), key=lambda r: r.rank or 0)
        assert ranked[0].rank == 1 and ranked[0].ranked == len(ranked) > 1, (kind, period)
        assert all(0 < (r.total or 0) <= 100 for r in ranked)
    assert all(r.lineage["framework"] == "service-766" for r in rows)


def test_the_766_computation_reads_the_demos_declared_feedback(session):
    """Issue 15, item 4: the programme office declared 2025's feedback (5.1, 5.2) of every unit, simulated
    and noted so; the stored 2025 results counted it, 2024 (nothing declared) has no value for them, and
    the four other declared components are declared nowhere (their pages say "Chưa khai")."""
    from chiso.service766.models import Service766Declaration, Service766Score

    declared = session.scalars(select(Service766Declaration)).all()
    assert declared and {(d.recorded_by, d.note, d.version) for d in declared} == {
        ("vanphong.cds", "số liệu mô phỏng / simulated", 1)
    }
    assert {d.variable for d in declared} == {"feedback", "feedback_on_time", "feedback_satisfied"}
    assert {d.period[:4] for d in declared} == {"2025"} and len({d.unit_code for d in declared}) == 92 + 12 + 1
    rows = session.scalars(select(Service766Score).where(Service766Score.unit_code == "01840")).all()
    by_period = {r.period: r for r in rows}
    figures = {(d.period, d.variable): d.value for d in declared if d.unit_code == "01840"}
    september = by_period["2025-09"]
    assert september.inputs["feedback"] == figures[("2025-09", "feedback")]
    assert september.points["s5_1"] is not None and september.points["s4_4"] is None
    assert by_period["2024-09"].points["s5_1"] is None and "feedback" not in by_period["2024-09"].inputs
