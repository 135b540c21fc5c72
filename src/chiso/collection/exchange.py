"""Declarations in and out of files: the XLSX template, CSV and JSON for machines.

An import checks everything first — every cell, the file's unit, period and framework, evidence files,
what may still change, and the validation rules — and reports every problem with sheet, row, column
and reason. Then it applies all of it, or nothing. Importing the same file again changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from chiso import clock, csvsafe, units
from chiso.collection import cells, workbook
from chiso.collection import service as collection
from chiso.collection.evidence import EvidenceRefused, FileStore
from chiso.collection.models import CollectionPeriod
from chiso.collection.schemas import DeclarationIn, EvidenceIn, Problem
from chiso.collection.validation import load_rules, validate
from chiso.collection.workbook import Record
from chiso.collection.workflow import next_state
from chiso.errors import ChisoError, TransitionRefused
from chiso.framework import Framework, Indicator
from chiso.numbers import Notation
from chiso.permissions import Actor, check
from chiso.values import service as values
from chiso.workbooks import csv_reader, utf8_text

JSON_SCHEMA = "chiso/declarations"
FIXED_CSV = ("unit", "period", "indicator", "self_score", "explanation", "evidence", "files")
EXPORT_ONLY = ("state", "appraised_score", "comment")  # written by export, ignored by import


class ImportRefused(collection.ValidationFailed):
    pass


@dataclass
class ImportReport:
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    warnings: list[Problem] = field(default_factory=list)
    submitted: bool = False
    numbers: str = ""  # how numbers written as text were read (cells.Reading.describe)


# --- reading -----------------------------------------------------------------------------------------


def read_file(path: Path, framework: Framework) -> tuple[dict[str, str], list[Record], list[Problem]]:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ChisoError(f"{path}: file not found")
    try:
        if suffix == ".xlsx":
            meta, records, shape = workbook.read_workbook(path, framework)
            return meta, records, [Problem(m) for m in shape]
        if suffix == ".csv":
            return _read_csv(path)
        if suffix == ".json":
            return _read_json(path)
    except (OSError, ValueError, KeyError, RecursionError) as exc:  # JSON nested thousands deep recurses
        raise ChisoError(f"{path}: cannot be read as {suffix[1:].upper()}: {exc}") from exc
    raise ChisoError(f"{path}: unsupported file type {suffix!r}; use .xlsx, .csv or .json")


def _read_csv(path: Path) -> tuple[dict[str, str], list[Record], list[Problem]]:
    with csv_reader(path) as reader:
        header = reader.fieldnames or []
        problems = [
            Problem(f"column {c!r} missing", sheet=path.name)
            for c in ("unit", "period", "indicator")
            if c not in header
        ]
        meta: dict[str, str] = {}
        records = []
        for r, row in enumerate(reader, start=2):
            record = Record(path.name, r, (row.get("indicator") or "").strip())
            for key in ("unit", "period"):
                value = (row.get(key) or "").strip()
                if meta.setdefault(key, value) != value:
                    problems.append(
                        Problem(f"every row must be for one {key} ({meta[key]!r})", sheet=path.name, row=r, column=key)
                    )
            for column, escaped in row.items():
                raw = csvsafe.unescape(escaped)  # what the export escaped against formula injection
                if column in FIXED_CSV[3:]:
                    record.fields[column] = (raw, column)
                elif column not in (*FIXED_CSV, *EXPORT_ONLY) and column is not None and raw not in (None, ""):
                    record.fields[f"value:{column}"] = (raw, column)
            records.append(record)
    return meta, records, problems


def _read_json(path: Path) -> tuple[dict[str, str], list[Record], list[Problem]]:
    document = json.loads(utf8_text(path))
    if not isinstance(document, dict) or document.get("schema") != JSON_SCHEMA:
        return {}, [], [Problem(f"not a declarations document: `schema` must be {JSON_SCHEMA!r}", sheet=path.name)]
    meta = {k: str(document.get(k, "")) for k in ("unit", "period", "framework", "framework_sha256")}
    records = []
    for n, item in enumerate(document.get("items", [])):
        record = Record(path.name, None, str(item.get("indicator", "")))
        where = f"items[{n}]"
        for var, raw in (item.get("values") or {}).items():
            record.fields[f"value:{var}"] = (raw, f"{where}.values.{var}")
        for key in ("self_score", "explanation"):
            record.fields[key] = (item.get(key), f"{where}.{key}")
        record.fields["evidence_json"] = (item.get("evidence") or [], f"{where}.evidence")
        records.append(record)
    return meta, records, []


def parse(
    records: list[Record],
    framework: Framework,
    folder: Path,
    files: FileStore | None,
    reading: cells.Reading | None = None,
) -> tuple[list[DeclarationIn], dict[tuple[str, str], tuple[str, int | None, str]], list[Problem]]:
    """Typed items, where each (indicator, field) came from, and every problem in the cells."""
    items, where, problems = [], {}, []
    seen: dict[str, tuple[float | None, str]] = {}
    codes = {i.code for i in framework.indicators}
    for record in records:

        def problem(message: str, column: str = "", r: Record = record) -> None:
            problems.append(Problem(message, sheet=r.sheet, row=r.row, column=column, indicator=r.indicator))

        if record.indicator not in codes:
            problem(f"không có chỉ số {record.indicator!r} trong bộ {framework.code} / unknown indicator", "indicator")
            continue
        indicator = framework.node(record.indicator)
        assert isinstance(indicator, Indicator)
        figures: dict[str, float | None] = {}
        fields: dict[str, Any] = {"indicator": record.indicator}
        for key, (raw, label) in record.fields.items():
            where[(record.indicator, key.removeprefix("value:"))] = (record.sheet, record.row, label)
            try:
                if key.startswith("value:"):
                    var = key.removeprefix("value:")
                    if var not in indicator.variables:
                        problem(f"{record.indicator} không đọc biến {var!r} / does not read this variable", label)
                        continue
                    figures[var] = cells.number(raw, reading)
                    earlier = seen.setdefault(var, (figures[var], f"{record.sheet} row {record.row}"))
                    if earlier[0] != figures[var]:
                        problem(
                            f"{var} = {figures[var]} khác với {earlier[0]} ở {earlier[1]} / differs from {earlier[1]}",
                            label,
                        )
                elif key == "self_score":
                    fields["self_score"] = cells.number(raw, reading)
                elif key == "explanation":
                    fields["explanation"] = "" if raw is None else str(raw).strip()
                elif key == "evidence":
                    files_raw = record.fields.get("files", (None, ""))[0]
                    fields["evidence"] = cells.evidence(raw, files_raw, folder)
                elif key == "evidence_json":
                    fields["evidence"] = tuple(
                        EvidenceIn(
                            **{**doc, "file": cells.inside(folder, str(doc["file"])) if doc.get("file") else None}
                        )
                        for doc in raw
                    )
            except (cells.CellError, ValidationError, TypeError) as exc:
                problem(str(exc).splitlines()[0] if isinstance(exc, ValidationError) else str(exc), label)
        for doc in fields.get("evidence") or ():
            if doc.file is not None and files is not None:
                try:
                    files.digest(doc.file)
                except EvidenceRefused as exc:
                    problem(str(exc), where.get((record.indicator, "files"), ("", None, "files"))[2])
        fields["values"] = figures
        items.append(DeclarationIn(**fields))
    return items, where, problems


# --- import ------------------------------------------------------------------------------------------


def import_file(
    *,
    session: Session,
    path: Path,
    period_code: str,
    unit_code: str,
    actor: Actor,
    files: FileStore,
    submit: bool = False,
    notation: Notation | None = None,
) -> ImportReport:
    """Check every cell first, then apply all of it or nothing. `notation` settles numbers that read two ways."""
    check(actor, "declaration.edit", unit_code)
    period = collection.get_period(session=session, code=period_code)
    framework = collection.framework_of(period)
    meta, records, problems = read_file(path, framework)
    problems.extend(_check_meta(meta, period, unit_code, path))
    reading = cells.Reading(notation)
    items, where, cell_problems = parse(records, framework, path.parent, files, reading)
    problems.extend(cell_problems)
    for item_in in items:
        item = collection.get_item(session=session, period=period, unit_code=unit_code, indicator=item_in.indicator)
        try:
            if collection.changes(session=session, period=period, item=item, item_in=item_in, files=files).any:
                collection.editable(period, item)
                next_state(f"item {unit_code}/{item.indicator_code}", item.state, "edit")
        except (TransitionRefused, EvidenceRefused) as exc:
            sheet, row, _ = where.get((item_in.indicator, "self_score"), (path.name, None, ""))
            problems.append(Problem(str(exc), sheet=sheet, row=row, indicator=item_in.indicator))
    if not any(p.severity == "error" for p in problems):
        state = collection.unit_state_for_rules(session=session, period=period, unit_code=unit_code, pending=items)
        mine = {i.indicator for i in items}
        for finding in validate(framework, load_rules(framework.code), state):
            if finding.indicator not in mine:
                continue
            sheet, row, label = where.get((finding.indicator, finding.column), ("", None, finding.column))
            problems.append(Problem(finding.message, finding.severity, sheet, row, label, finding.indicator))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ImportRefused(problems, f"{path.name}: ")
    report = ImportReport(warnings=[p for p in problems if p.severity == "warning"], numbers=reading.describe())
    for item_in in items:
        changed = collection.declare(
            session=session, period_code=period_code, unit_code=unit_code, item_in=item_in, actor=actor, files=files
        )
        if changed:
            report.changed.append(item_in.indicator)
        else:
            report.unchanged += 1
    if submit:
        report.warnings = collection.submit(session=session, period_code=period_code, unit_code=unit_code, actor=actor)
        report.submitted = True
    return report


def _check_meta(meta: dict[str, str], period: CollectionPeriod, unit_code: str, path: Path) -> list[Problem]:
    expected = {"unit": unit_code, "period": period.code}
    out = []
    for key, value in expected.items():
        if meta.get(key) and meta[key] != value:
            out.append(
                Problem(
                    f"tệp dành cho {key} {meta[key]!r}, không phải {value!r} / this file is for another {key}",
                    sheet=path.name,
                )
            )
        elif not meta.get(key):
            out.append(Problem(f"tệp không ghi {key} / the file does not say its {key}", sheet=path.name))
    digest = meta.get("framework_sha256")
    if digest and digest != period.framework_version.sha256:
        out.append(
            Problem(
                "tệp làm theo phiên bản bộ chỉ số khác / the file was made for another framework version",
                sheet=path.name,
            )
        )
    return out


# --- template and export -----------------------------------------------------------------------------


def _rows(session: Session, period: CollectionPeriod, unit_code: str) -> dict[str, workbook.RowData]:
    submission = collection.get_submission(session=session, period=period, unit_code=unit_code)
    current = values.current(session=session, period=period.value_period, era=period.era, unit_codes=[unit_code])
    figures = {var: v.value for (_, var), v in current.items()}
    return {
        item.indicator_code: workbook.RowData(
            values=figures,
            self_score=item.self_score,
            explanation=item.explanation,
            evidence=cells.evidence_text([(e.doc_number, e.doc_date, e.summary) for e in item.evidence]),
            state=item.state,
            comment=item.comment,
        )
        for item in collection.items(session=session, submission=submission)
    }


def template(*, session: Session, period_code: str, unit_code: str, actor: Actor, path: Path) -> None:
    """The unit's XLSX template, filled with what it has declared so far."""
    check(actor, "declaration.view", unit_code)
    period = collection.get_period(session=session, code=period_code)
    framework = collection.framework_of(period)
    found = units.find(unit_code, era=period.era)
    name = found[0].name if found else unit_code
    meta = {
        "framework": framework.code,
        "framework_sha256": period.framework_version.sha256,
        "unit": unit_code,
        "period": period.code,
        "generated_at": clock.of(session).now().isoformat(timespec="seconds"),
    }
    title = f"{framework.name} — {name} ({unit_code}) — kỳ {period.code}"
    workbook.write_template(path, framework, meta, title, _rows(session, period, unit_code))


def export_rows(
    *, session: Session, period_code: str, actor: Actor, unit_code: str | None = None
) -> list[dict[str, Any]]:
    """One row per unit and indicator: the CSV import format plus state, appraised score and comment."""
    check(actor, "declaration.view", unit_code or actor.unit_code)
    period = collection.get_period(session=session, code=period_code)
    framework = collection.framework_of(period)
    unit_code = unit_code or actor.unit_code
    out = []
    for submission in collection.submissions(session=session, period=period):
        if unit_code not in (None, submission.unit_code):
            continue
        rows = _rows(session, period, submission.unit_code)
        for ind in framework.indicators:
            if ind.code not in rows:  # not this unit's item (PeriodOpen.assigned)
                continue
            data = rows[ind.code]
            item = collection.get_item(
                session=session, period=period, unit_code=submission.unit_code, indicator=ind.code
            )
            out.append({
                "unit": submission.unit_code, "period": period.code, "indicator": ind.code,
                "self_score": data.self_score, "explanation": data.explanation, "evidence": data.evidence,
                "files": "", **{v: data.values.get(v) for v in ind.variables},
                "state": data.state, "appraised_score": item.appraised_score, "comment": data.comment,
            })  # fmt: skip
    return out


def export_json(*, session: Session, period_code: str, unit_code: str, actor: Actor) -> dict[str, Any]:
    """The unit's declarations as the JSON import document."""
    rows = export_rows(session=session, period_code=period_code, actor=actor, unit_code=unit_code)
    period = collection.get_period(session=session, code=period_code)
    framework = collection.framework_of(period)
    submission = collection.get_submission(session=session, period=period, unit_code=unit_code)
    evidence = {
        i.indicator_code: [
            {"doc_number": e.doc_number, "doc_date": e.doc_date and e.doc_date.isoformat(), "summary": e.summary}
            for e in i.evidence
        ]
        for i in collection.items(session=session, submission=submission)
    }
    return {
        "schema": JSON_SCHEMA,
        "version": 1,
        "framework": framework.code,
        "framework_sha256": period.framework_version.sha256,
        "unit": unit_code,
        "period": period.code,
        "items": [
            {
                "indicator": r["indicator"],
                "values": {v: r[v] for v in framework.node(r["indicator"]).variables},  # type: ignore[union-attr]
                "self_score": r["self_score"],
                "explanation": r["explanation"],
                "evidence": evidence[r["indicator"]],
                "state": r["state"],
                "appraised_score": r["appraised_score"],
                "comment": r["comment"],
            }
            for r in rows
        ],
    }
