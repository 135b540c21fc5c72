"""The province's DTI declaration: import the component list, open the declaration, estimate, compare.

- `import_file` / `import_rows`: a component list checked against the year's method (all or nothing),
  published as the versioned framework `dti-components-YEAR` and kept as read (`ComponentList`);
- `open_declaration`: a collection period `YEAR/dti-components-YEAR` in which each lead department
  declares only the components it leads (figures, self-score, evidence); the DX office appraises and
  approves through the same workflow as every other period;
- `estimate`: each component's points (the appraised score where given, else the self-score), each main
  indicator as the share of its maximum points, then the DTI and pillars by the shipped framework;
- `comparison`: the estimate beside the main indicators the Ministry published (the national values).

Services do not commit: the CLI command or the request owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import chiso
from chiso import units
from chiso.audit import service as audit
from chiso.collection import service as collection
from chiso.collection.models import CollectionPeriod, Declaration, Submission
from chiso.collection.schemas import PeriodOpen, Problem
from chiso.errors import ChisoError, NotFound
from chiso.ministry import components
from chiso.ministry.models import ComponentList
from chiso.ministry.schemas import Comparison, Component, Estimate, Line, MainEstimate, YearState
from chiso.national import service as national
from chiso.permissions import Actor, check
from chiso.tables import TableError, read_table
from chiso.values import service as values

ERA = "2025"  # the province declares as the unit it is now
EXAMPLE_NOTE = "ví dụ minh họa"


class ComponentListRefused(ChisoError):
    """A component list with problems: every one listed, nothing written."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        listed = "\n".join(f"  - {p}" for p in self.problems[:100])
        more = f"\n  … and {len(self.problems) - 100} more" if len(self.problems) > 100 else ""
        super().__init__(
            f"{source}: {len(self.problems)} lỗi, chưa nhập gì / {len(self.problems)} problem(s),"
            f" nothing was imported:\n{listed}{more}"
        )


def period_code(year: int) -> str:
    return f"{year}/{components.framework_code(year)}"


# --- the component list ------------------------------------------------------------------------------


def import_file(*, session: Session, path: Path, year: int, province: str, actor: Actor) -> ComponentList:
    """Import a component list from an XLSX or CSV file (first sheet); ComponentListRefused lists every
    problem of the file and nothing is written."""
    check(actor, "ministry.import")
    try:
        table = read_table(path)
    except TableError as exc:
        raise ChisoError(str(exc)) from None
    if path.suffix.lower() == ".csv":
        from chiso import csvsafe

        table = table.map(csvsafe.unescape)
    records = [
        {str(k): v for k, v in record.items()}
        for record in table.astype(object).where(table.notna(), None).to_dict("records")
    ]
    return import_rows(
        session=session,
        year=year,
        province=province,
        columns=[str(c) for c in table.columns],
        records=records,
        source=path.name,
        digest=hashlib.sha256(path.read_bytes()).hexdigest(),
        actor=actor,
    )


def import_rows(
    *,
    session: Session,
    year: int,
    province: str,
    columns: Sequence[str],
    records: Sequence[Mapping[str, Any]],
    source: str,
    digest: str,
    actor: Actor,
    note: str = "",
) -> ComponentList:
    """Check the rows, publish the component framework and keep the list as read."""
    check(actor, "ministry.import")
    if not units.find(province, era=ERA):
        raise NotFound(f"không có tỉnh mã {province} / no province {province} (chiso units list --kind province)")
    read = components.read_rows(records, columns, year=year, province=province)
    if read.problems:
        raise ComponentListRefused(source, read.problems)
    marker = components.plain(EXAMPLE_NOTE)
    if not note and any(marker in components.plain(v) for cells in read.cells for v in cells.values()):
        note = EXAMPLE_NOTE  # the demo's example list (`chiso ministry components example`) stays marked
    framework = components.compose(year=year, province=province, rows=read.rows, source=source, note=note)
    version = collection.publish_framework(session=session, framework=framework, actor=actor)
    # Without problems, every non-empty row of the file gave one component, in the file's order.
    filled = [cells for cells in read.cells if any(cells.values())]
    kept = [{"code": r.code, "lead": r.lead, "cells": cells} for r, cells in zip(read.rows, filled, strict=True)]
    stored = ComponentList(
        year=year,
        province=province,
        framework_version=version,
        file_name=source[:255],
        file_sha256=digest,
        columns=list(read.columns),
        rows=kept,
        note=note,
        imported_by=actor.user,
    )
    session.add(stored)
    session.flush()
    audit.record(
        session=session,
        actor=actor.user,
        action="ministry.import",
        entity="dti_component_list",
        entity_key=str(stored.id),
        after={"year": year, "province": province, "file": source, "sha256": digest, "components": len(kept)},
    )
    return stored


def current_list(*, session: Session, year: int) -> ComponentList:
    """The newest component list of the year."""
    found = session.scalars(
        select(ComponentList).where(ComponentList.year == year).order_by(ComponentList.id.desc()).limit(1)
    ).first()
    if found is None:
        raise NotFound(
            f"chưa nhập danh mục chỉ số thành phần năm {year} / no component list for {year}:"
            f" chiso ministry components import FILE --year {year}"
        )
    return found


def years(*, session: Session, actor: Actor) -> list[YearState]:
    """Every year with a component list, newest first: the list, and the declaration once opened."""
    check(actor, "ministry.view")
    newest: dict[int, ComponentList] = {}
    for stored in session.scalars(select(ComponentList).order_by(ComponentList.id)):
        newest[stored.year] = stored
    codes = [period_code(year) for year in newest]
    periods = {p.code: p for p in session.scalars(select(CollectionPeriod).where(CollectionPeriod.code.in_(codes)))}
    out = []
    for year, stored in sorted(newest.items(), reverse=True):
        period = periods.get(period_code(year))
        out.append(
            YearState(
                year=year,
                province=stored.province,
                components=len(stored.rows),
                leads=len(assignments(stored)),
                file_name=stored.file_name,
                imported_at=stored.imported_at,
                imported_by=stored.imported_by,
                note=stored.note,
                period=period.code if period else None,
                state=period.state if period else None,
                opens_on=period.opens_on if period else None,
                closes_on=period.closes_on if period else None,
            )
        )
    return out


def assignments(stored: ComponentList) -> dict[str, tuple[str, ...]]:
    """Lead department → the components it declares."""
    out: dict[str, list[str]] = {}
    for row in stored.rows:
        out.setdefault(row["lead"], []).append(row["code"])
    return {unit: tuple(codes) for unit, codes in sorted(out.items())}


def open_declaration(
    *, session: Session, year: int, opens_on: dt.date, closes_on: dt.date, actor: Actor
) -> CollectionPeriod:
    """The collection period of the year's declaration: each lead department declares its components."""
    check(actor, "ministry.import")
    stored = current_list(session=session, year=year)
    lead = assignments(stored)
    return collection.open_period(
        session=session,
        period_in=PeriodOpen(
            framework=components.framework_code(year),
            year=year,
            units=tuple(lead),
            opens_on=opens_on,
            closes_on=closes_on,
            era=ERA,
            code=period_code(year),
            assigned=lead,
        ),
        actor=actor,
    )


# --- the declaration and its estimate --------------------------------------------------------------------


def declaration(*, session: Session, year: int, actor: Actor) -> list[Component]:
    """Every component of the year's declaration, in the list's order, with what its department declared."""
    check(actor, "ministry.view")
    return _components(session, year)


def declared_list(*, session: Session, year: int) -> tuple[ComponentList, CollectionPeriod]:
    """The year's declaration period and the component list it was opened with (a list imported after
    the period opened changes nothing in it)."""
    newest = current_list(session=session, year=year)
    period = session.scalar(select(CollectionPeriod).where(CollectionPeriod.code == period_code(year)))
    if period is None:
        raise NotFound.of(
            "ministry.not-open", year=year, hint=f"chiso ministry open --year {year} --opens … --closes …"
        )
    opened = session.scalars(
        select(ComponentList)
        .where(ComponentList.year == year, ComponentList.framework_version_id == period.framework_version_id)
        .order_by(ComponentList.id.desc())
        .limit(1)
    ).first()
    return opened or newest, period


def _components(session: Session, year: int) -> list[Component]:
    stored, period = declared_list(session=session, year=year)
    framework = collection.framework_of(period)
    leads = assignments(stored)
    items: dict[str, Declaration] = {}
    for submission in session.scalars(select(Submission).where(Submission.period_id == period.id)):
        for item in collection.items(session=session, submission=submission):
            items[item.indicator_code] = item
    current = values.current(session=session, period=period.value_period, era=period.era, unit_codes=list(leads))
    names = {u.code: u.name for u in units.list_units(era=ERA, kind="department", province=stored.province)}
    mains = {c.code: node.code for node in framework.aggregates for c in node.children if node.kind == "aggregate"}
    out = []
    for row in stored.rows:
        code, lead = row["code"], row["lead"]
        node = framework.node(code)
        found = items.get(code)
        figure = current.get((lead, code))
        out.append(
            Component(
                code=code,
                number=node.number or code,
                name=node.name,
                unit=node.unit,
                main=mains.get(code, ""),
                lead=lead,
                lead_name=names.get(lead, lead),
                max_points=node.max_points or 0.0,
                state=found.state if found else "draft",
                value=None if figure is None else figure.value,
                self_score=found.self_score if found else None,
                appraised_score=found.appraised_score if found else None,
                evidence=[(e.doc_number, e.doc_date, e.summary, e.file_name or "") for e in found.evidence]
                if found
                else [],
            )
        )
    return out


def estimate(*, session: Session, year: int, actor: Actor) -> Estimate:
    """The main indicators, pillars and DTI the declaration gives, by the shipped formulas of the year."""
    check(actor, "ministry.view")
    stored, _period = declared_list(session=session, year=year)
    found = _components(session, year)
    spec = components.method(year)
    mains = []
    for position, node in enumerate(spec.mains, start=1):
        mine = [c for c in found if c.main == node.code]
        points = sum(c.points or 0.0 for c in mine)
        top = node.max_points or 0.0
        mains.append(
            MainEstimate(
                node.code,
                str(position),
                node.name,
                top,
                points,
                points / top if top else 0.0,
                len(mine),
                sum(1 for c in mine if c.points is not None),
            )
        )
    shipped = spec.framework
    given = pd.DataFrame([{"unit": stored.province, "period": str(year), **{m.code: m.value for m in mains}}])
    result = chiso.score(shipped, given, period_column="period").scores.set_index("unit")
    scored: dict[str, float] = {
        str(k): float(v) for k, v in result.loc[stored.province].to_dict().items() if k != "period"
    }
    pillars = [
        (n.code, n.name, scored[n.code])
        for n in shipped.nodes
        if isinstance(n, chiso.framework.View) and n.code in scored and not np.isnan(scored[n.code])
    ]
    by_state: dict[str, int] = {}
    for c in found:
        by_state[c.state] = by_state.get(c.state, 0) + 1
    return Estimate(
        year,
        stored.province,
        period_code(year),
        shipped.code,
        stored.note,
        mains,
        pillars,
        scored[shipped.index],
        found,
        by_state,
    )


# --- the comparison with the published figures --------------------------------------------------------------


def comparison(*, session: Session, year: int, actor: Actor) -> Comparison:
    """The estimate beside the published main indicators of the province (national values, era 2025)."""
    check(actor, "ministry.view")
    est = estimate(session=session, year=year, actor=actor)
    ranked = national.ranking(session=session, year=year, era=ERA)
    row = ranked[ranked["unit"] == est.province]
    table = national.table(session=session, year=year, era=ERA)
    given = table[table["unit"] == est.province]
    figures: dict[str, float] = {}
    if not given.empty:
        for m in est.mains:
            value = given.iloc[0].get(m.code)
            if value is not None and not pd.isna(value):
                figures[m.code] = float(value)
    pub_dti: float | None = None
    rank: int | None = None
    pillars_pub: dict[str, float] = {}
    if not row.empty:
        first = row.iloc[0]
        published_dti = first.get(national.PUBLISHED_DTI)
        pub_dti = float(published_dti) if published_dti is not None and not pd.isna(published_dti) else None
        pub_dti = pub_dti if pub_dti is not None else float(first["dti"])
        rank = int(first["rank"])
        for code, _name, _value in est.pillars:
            if code in first and not pd.isna(first[code]):
                pillars_pub[code] = float(first[code])
    shipped = national.framework(year)

    def english(code: str) -> str:
        return shipped.node(code).name_en

    return Comparison(
        est,
        [Line(m.code, m.number, m.name, m.value, figures.get(m.code), english(m.code)) for m in est.mains],
        [Line(code, "", name, value, pillars_pub.get(code), english(code)) for code, name, value in est.pillars],
        Line(est.framework, "", "DTI", est.dti, pub_dti, "DTI"),
        bool(figures),
        rank,
    )
