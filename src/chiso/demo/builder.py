"""`chiso.demo.build`: a database for the new Thái Nguyên province that a newcomer can explore.

Through the services, so that permissions, validation and the audit log run as for real users:
the province's 92 communes and 12 departments, the commune and department frameworks published,
collection periods 2023, 2024 (published) and 2025 (open, part-way), the appraisal of every
declaration, result runs; the commune set's measurable indicators measured from simulated records
(`measured`); the national view (every province's DTI main indicators, 2020–2024, both eras); the
province's series for Resolution 01/NQ-TU; an example plan of tasks; an example DTI component list
(ví dụ minh họa, docs/ministry.md); the demo accounts.

Deterministic (one seed), idempotent (building again changes nothing; a database that is not the
demo is refused), and every simulated figure says so in its lineage (`simulated: true`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from chiso import units
from chiso.actors import service as actors
from chiso.actors.models import ActorRecord
from chiso.audit import service as audit
from chiso.audit.models import AuditEntry
from chiso.collection.models import CollectionPeriod
from chiso.demo import collect, live, national, province
from chiso.demo import ministry as example_components
from chiso.demo import plan as example_plan
from chiso.demo.accounts import demo_accounts, officer_user
from chiso.demo.figures import Profile
from chiso.demo.measured import measure_communes, measure_province
from chiso.demo.service766 import rank_766
from chiso.errors import ChisoError
from chiso.national import service as national_service
from chiso.permissions import MEASURE, ROLES, Actor
from chiso.programme import load_programme
from chiso.settings import Settings
from chiso.sources.lake import Lake
from chiso.sources.warning import local
from chiso.values.models import Value

PROVINCE = "19"
DEFAULT_SEED = 20201231  # the day Resolution 01/NQ-TU was adopted
YEARS = (2023, 2024, 2025)
PUBLISHED = (2023, 2024)
FRAMEWORKS = {"commune": "commune-2025", "department": "department-2025"}
MARKER = "demo.build"
KEEP_DRAFT = ("01840", "19-SKHCN")  # the demo officers' units: a draft to finish in the journeys
OFFICE = "vanphong.cds"  # the demo's programme officer (accounts.yaml)


@dataclass
class Summary:
    seed: int
    built: bool  # False when the demo was there already
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    skipped_accounts: list[str] = field(default_factory=list)
    measured: str = ""  # where the measurable commune indicators come from


def built_seed(session: Session) -> int | None:
    """The seed the database's demo was built with, or None if it holds no demo."""
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == MARKER).order_by(AuditEntry.id).limit(1))
    return None if entry is None or entry.after is None else int(entry.after["seed"])


def built_options(session: Session) -> dict[str, Any]:
    """How the database's demo was built (seed, province, years, communes), or {} if it holds none."""
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == MARKER).order_by(AuditEntry.id).limit(1))
    return {} if entry is None or entry.after is None else dict(entry.after)


def build(
    session: Session,
    settings: Settings,
    *,
    seed: int = DEFAULT_SEED,
    communes: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Summary:
    """Build the demo into an empty database (migrated); a second call finds it and changes nothing.

    `communes` keeps only the first N communes (a smaller demo, for tests); the departments, the
    national view and the plan are the same.
    """
    started, cpu = time.perf_counter(), time.process_time()
    say = progress or (lambda _text: None)
    found = built_seed(session)
    if found is not None:
        if found != seed or built_options(session).get("communes") != communes:
            raise ChisoError(f"the demo here was built otherwise ({built_options(session)}); rebuild it with --reset")
        return Summary(seed, False, counts=counts(session), measured=_measured_note(session))
    if session.scalar(select(func.count()).select_from(CollectionPeriod)):
        raise ChisoError("this database holds data that is not the demo's; build the demo into an empty database")
    _fast_sqlite(session)
    people, skipped = _people(session)
    scope = units.list_units(era="2025", kind="commune", province=PROVINCE)[:communes]
    departments = units.list_units(era="2025", kind="department", province=PROVINCE)
    weights = {u.code: _enterprise_weight(seed, u) for u in scope}
    say("Đo tự động: hồ sơ TTHC, văn bản / automatic measures from records")
    measurer = actors.ensure(  # the measuring service: the only actor that records measured values
        session=session, user=MEASURE.user, roles=set(MEASURE.roles), name="Dịch vụ đo tự động", actor=people.admin
    )
    measured = measure_communes(
        session,
        settings,
        province=PROVINCE,
        years=YEARS,
        communes=[u.code for u in scope],
        seed=seed,
        actor=measurer,
    )
    # Before the province's own measures: the catalogue it ingests gives the level-4 (fully online) share.
    say("Chỉ số 766: danh mục TTHC, tự khai, xếp hạng theo tháng / Decision 766 rankings")
    office = actors.get_by_user(session=session, user=OFFICE)  # the programme office declares what is not measured
    rank_766(session, settings, province=PROVINCE, years=YEARS, seed=seed, actor=measurer, declarer=office)
    programme = load_programme("01/NQ-TU")
    measure_province(
        session,
        settings,
        province=PROVINCE,
        years=YEARS,
        variables=[t.tracks.measured for t in programme.targets if t.tracks and t.tracks.measured],
        actor=measurer,
    )
    say("Hồ sơ gần đây, cảnh báo sớm / the last weeks' dossiers, for early warning")
    lake = Lake.at(settings.data_dir, settings.make_clock())
    live.feed(lake, province=PROVINCE, now=local(lake.clock.now()), seed=seed)  # the clock that stamps ingestion
    for year in YEARS:
        shares = province.split(province.ENTERPRISES[year], weights)
        totals = {code: {"digital_tech_enterprises": n} for code, n in shares.items()}
        for kind, members in (("commune", scope), ("department", departments)):
            say(f"{year} {FRAMEWORKS[kind]}: {len(members)} đơn vị / units")
            period = collect.run_year(
                session,
                framework=FRAMEWORKS[kind],
                year=year,
                scope=members,
                people=people,
                seed=seed,
                publish=year in PUBLISHED,
                keep_drafts=KEEP_DRAFT,
                totals=totals if kind == "commune" else None,
                measured=measured if kind == "commune" else None,
            )
            if kind == "commune" and year in PUBLISHED:
                province.derived(
                    session=session,
                    actor=people.admin,
                    year=year,
                    period_code=period.code,
                    communes=[u.code for u in scope],
                )
    say("DTI: 63 + 34 tỉnh, 2020–2024 / national view")
    for (year, era), data in sorted(national.simulate(seed).items()):
        national_service.record(session=session, year=year, era=era, entries=national.entries(data), actor=people.admin)
    province.series(session=session, actor=people.admin, seed=seed)
    say("Kế hoạch ví dụ / example plan")
    example_plan.load(session=session, admin=people.admin, officers=people.officers)
    say("Danh mục chỉ số thành phần DTI (ví dụ minh họa) / example DTI component list")
    example_components.load(session=session, admin=people.admin, province=PROVINCE)
    audit.record(
        session=session,
        actor=people.admin.user,
        action=MARKER,
        entity="demo",
        entity_key=PROVINCE,
        after={"seed": seed, "province": PROVINCE, "years": list(YEARS), "communes": communes},
    )
    session.flush()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return Summary(seed, True, elapsed, cpu, counts(session), skipped, _measured_note(session))


def _fast_sqlite(session: Session) -> None:
    """One large transaction: a page cache large enough to hold the demo while it is built."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA cache_size = -262144"))  # 256 MB


def _people(session: Session) -> tuple[collect.People, list[str]]:
    """The administrator, the appraiser, one officer per unit, and the demo accounts the services know."""
    admin = actors.ensure(session=session, user="admin", roles={"admin"}, name="Quản trị (demo)", actor=None)
    skipped = []
    named: dict[str, Actor] = {}
    for account in demo_accounts():
        if account.role not in ROLES:  # roles that come with the web app's accounts
            skipped.append(f"{account.user} ({account.role})")
            continue
        named[account.user] = actors.ensure(
            session=session,
            user=account.user,
            roles={account.role},
            unit_code=account.unit,
            name=account.name,
            actor=admin,
        )
    appraiser = named.get("thamdinh") or actors.ensure(
        session=session, user="thamdinh", roles={"appraiser"}, actor=admin
    )
    officers = {a.unit_code: a for a in named.values() if a.has("officer") and a.unit_code}
    taken = set(session.scalars(select(ActorRecord.user)).all())
    for unit in units.list_units(era="2025", province=PROVINCE):
        if unit.code not in officers and unit.kind is not units.Kind.PROVINCE:
            user = officer_user(unit.code, unit.name, taken)
            officers[unit.code] = actors.ensure(
                session=session,
                user=user,
                roles={"officer"},
                unit_code=unit.code,
                name=f"Cán bộ {unit.name} (demo)",
                actor=admin,
            )
    return collect.People(admin, appraiser, officers), skipped


def _enterprise_weight(seed: int, unit: units.Unit) -> float:
    profile = Profile.draw(seed, unit.code, unit.subtype)
    return profile.population * (0.5 + profile.capacity) ** 2


def _measured_note(session: Session) -> str:
    """Where the measurable commune indicators come from in this build, with how many values."""
    found = session.scalar(select(func.count()).select_from(Value).where(Value.source == "measured"))
    return f"measured from simulated records: {found} values (chiso sources measure --lineage …)"


def counts(session: Session) -> dict[str, int]:
    """What the demo database holds, table by table (for the summary and the tests)."""
    from chiso.collection.models import Declaration, Evidence, Submission
    from chiso.programme.models import Task, TaskUpdate
    from chiso.results.models import ResultRow, ResultRun
    from chiso.values.models import Value

    tables = {
        "periods": CollectionPeriod,
        "submissions": Submission,
        "declarations": Declaration,
        "evidence": Evidence,
        "values": Value,
        "result_runs": ResultRun,
        "result_rows": ResultRow,
        "tasks": Task,
        "task_reports": TaskUpdate,
        "actors": ActorRecord,
        "audit_entries": AuditEntry,
    }
    found = {name: session.scalar(select(func.count()).select_from(model)) or 0 for name, model in tables.items()}
    published = select(func.count()).select_from(ResultRun).where(ResultRun.published.is_(True))
    found["published_runs"] = session.scalar(published) or 0
    return found
