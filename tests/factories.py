"""Test data made through the services, so that permissions, validation and audit run."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

from chiso.actors import service as actors
from chiso.collection import service as collection
from chiso.collection.schemas import DeclarationIn, EvidenceIn, PeriodOpen
from chiso.permissions import Actor
from tests.conftest import TODAY

# Two real 2025 communes of Thái Nguyên (province 19): `chiso units list --era 2025 --kind commune --province 19`.
COMMUNE = "01840"  # Phường Đức Xuân
OTHER = "01843"  # Phường Bắc Kạn
PERIOD = "2025/commune-2025"


def people(session) -> dict[str, Actor]:
    admin = actors.ensure(session=session, user="admin", roles={"admin"}, actor=None)
    return {
        "admin": admin,
        "officer": actors.ensure(
            session=session, user="canbo.ducxuan", roles={"officer"}, unit_code=COMMUNE, actor=admin
        ),
        "other": actors.ensure(session=session, user="canbo.backan", roles={"officer"}, unit_code=OTHER, actor=admin),
        "appraiser": actors.ensure(session=session, user="thamdinh", roles={"appraiser"}, actor=admin),
    }


def open_period(session, admin: Actor, units=(COMMUNE, OTHER)):
    return collection.open_period(
        session=session,
        period_in=PeriodOpen(
            framework="commune-2025",
            year=2025,
            units=tuple(units),
            opens_on=dt.date(2025, 9, 1),
            closes_on=dt.date(2025, 11, 30),
        ),
        actor=admin,
    )


def doc(number="15/BC-UBND", summary="Báo cáo số liệu") -> EvidenceIn:
    return EvidenceIn(doc_number=number, doc_date=dt.date(2025, 10, 1), summary=summary)


DECLARATIONS = (
    DeclarationIn(
        indicator="c1_1",
        values={"fixed_broadband_users_gigabit": 120, "fixed_broadband_users": 400},
        self_score=4,  # the figures give 120 / 400 × 10 = 3: a warning, not an error
        evidence=(doc(),),
    ),
    DeclarationIn(indicator="c3_5", values={"cyber_drill": 1}, self_score=10, evidence=(doc("22/KH-UBND"),)),
    DeclarationIn(indicator="c2_1", values={"dx_officer_level": 2}, self_score=30, evidence=(doc("5/QĐ-UBND"),)),
)


def declare_all(session, officer: Actor, items=DECLARATIONS, unit=COMMUNE) -> None:
    for item in items:
        collection.declare(session=session, period_code=PERIOD, unit_code=unit, item_in=item, actor=officer)


def results_for(session, people: dict[str, Actor], *, publish: bool = True, unit_items=DECLARATIONS):
    """Both units declare, submit and are approved; the three runs are computed (the final one published)."""
    from chiso.collection import review
    from chiso.results import service as results

    for unit, officer in ((COMMUNE, people["officer"]), (OTHER, people["other"])):
        items = unit_items if unit == COMMUNE else unit_items[:1]
        declare_all(session, officer, items, unit=unit)
        collection.submit(session=session, period_code=PERIOD, unit_code=unit, actor=officer)
        review.accept(session=session, period_code=PERIOD, unit_code=unit, actor=people["appraiser"])
        review.approve(session=session, period_code=PERIOD, unit_code=unit, actor=people["appraiser"])
    runs = {r.variant: r for r, _ in results.compute(session=session, period_code=PERIOD, actor=people["admin"])}
    if publish:
        results.publish(session=session, run_id=runs["final"].id, actor=people["admin"])
    return runs


DOSSIERS_HEADER = (
    "id,procedure_code,receiving_unit,level,service_mode,service_level,channel,received_at,due_at,resolved_at,"
    "status,digitised"
)
DOSSIERS = (  # three dossiers received by COMMUNE in 2025, two of them fully online; one by OTHER
    "E,1.1,01840,commune,offline,,counter,2025-02-04 08:00,,2025-02-04 10:00,resolved,true",
    "H,1.1,01840,commune,full_online,,online,2025-09-05 08:00,2025-09-10 08:00,,received,false",
    "K,1.1,01840,commune,full_online,,online,2025-10-01 08:00,2025-10-05 08:00,2025-10-02 08:00,resolved,true",
    "L,1.1,01843,commune,offline,,counter,2025-10-02 08:00,2025-10-05 08:00,2025-10-03 08:00,resolved,true",
)


def measure_dossiers(folder: Path, file_name: str = "dossiers-2025.csv"):
    """The commune measures over DOSSIERS: written to a file, ingested into a lake in `folder`, measured by year."""
    from chiso.sources.ingest import ingest_file
    from chiso.sources.lake import Lake
    from chiso.sources.measures import Grain, load_measures
    from chiso.sources.service import measure

    source = folder / file_name
    source.write_text("\n".join([DOSSIERS_HEADER, *DOSSIERS]) + "\n", encoding="utf-8")
    lake = Lake(folder / "lake")
    assert ingest_file(source, "dossiers", lake=lake).added == len(DOSSIERS)
    return measure(lake=lake, measures=load_measures("commune-2025"), grains=[Grain.YEAR]).values


def record_measured(
    session, admin: Actor, measured, *, indicator: str = "c4_4", unit: str = COMMUNE, unguarded: bool = False
) -> None:
    """Record an indicator's measured inputs for `unit` in the value store (source measured, with lineage),
    as the measuring service (`admin` creates its actor). `unguarded` writes past the workflow guard, as
    values stored before it existed could be (into a locked period)."""
    from chiso.permissions import MEASURE
    from chiso.sources.service import values_in
    from chiso.values import service as values

    period = collection.get_period(session=session, code=PERIOD)
    node = collection.framework_of(period).node(indicator)
    wanted = measured[
        (measured["unit"] == unit)
        & (measured["period"] == period.value_period)
        & measured["variable"].isin(node.variables)  # type: ignore[union-attr]
    ]
    assert len(wanted) == len(node.variables), f"{indicator} reads {node.variables}"  # type: ignore[union-attr]
    measurer = actors.ensure(session=session, user=MEASURE.user, roles=set(MEASURE.roles), actor=admin)
    write = values.write_many if unguarded else values.record_many
    write(session=session, values_in=values_in(wanted), actor=measurer)


PLAN = "80/KH-UBND"
SKHCN = "19-SKHCN"  # Sở Khoa học và Công nghệ of Thái Nguyên


def task_plan(session, admin: Actor, today: dt.date | None = None) -> str:
    """A plan for 01/NQ-TU: COMMUNE leads an overdue task and one due later, OTHER an overdue one."""
    from chiso.programme import tasks
    from chiso.programme.schemas import PlanIn, TaskIn

    today = today or TODAY
    plan_in = PlanIn(code=PLAN, name="Kế hoạch chuyển đổi số", province="19", programme="01/NQ-TU")
    tasks.save_plan(session=session, plan_in=plan_in, actor=admin)
    for task_in in (
        TaskIn(code="1", title="Số hóa hồ sơ một cửa", lead_unit=COMMUNE, due_date=today - dt.timedelta(days=30)),
        TaskIn(code="1.1", title="Tập huấn cán bộ", lead_unit=COMMUNE, due_date=today + dt.timedelta(days=90)),
        TaskIn(code="2", title="Tổ công nghệ số cộng đồng", lead_unit=OTHER, due_date=today - dt.timedelta(days=10)),
        TaskIn(
            code="3",
            title="Dịch vụ công trực tuyến toàn trình",
            lead_unit=SKHCN,
            co_units=(COMMUNE,),
            due_date=today + dt.timedelta(days=30),
            targets=("level4_services",),
        ),
    ):
        tasks.save_task(session=session, plan_code=PLAN, task_in=task_in, actor=admin)
    return PLAN


@functools.cache
def _national_demo() -> dict:
    from chiso.demo import national as demo

    return demo.simulate(7)


def national_figures(session, admin: Actor, wanted=((2022, "2024"), (2023, "2025"), (2024, "2025"))) -> None:
    """Demo-like national figures (chiso.demo.national): every province of each era, the published ranks
    and the published 2022 rows in place (Thái Nguyên 8th of 63 in 2022, 8th of 34 in 2024)."""
    from chiso.demo import national as demo
    from chiso.national import service as national

    for year, era in wanted:
        entries = demo.entries(_national_demo()[(year, era)])
        national.record(session=session, year=year, era=era, entries=entries, actor=admin)
