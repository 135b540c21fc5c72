"""Collection periods and declarations: open, close, reopen, completeness; declare and submit.

Services take the session first and keyword-only arguments, check one permission, write an audit
entry for each change and never commit: the CLI command (or web request) owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload, object_session

from chiso import clock, units, versioned
from chiso.audit import service as audit
from chiso.collection.evidence import FileStore
from chiso.collection.models import CollectionPeriod, Declaration, Evidence, FrameworkVersion, Submission
from chiso.collection.schemas import DeclarationIn, PeriodOpen, PeriodStatus, Problem, UnitStatus
from chiso.collection.validation import ItemState, UnitState, load_rules, validate
from chiso.collection.workflow import PERIOD_TRANSITIONS, allowed, next_state, unit_state
from chiso.errors import ChisoError, NotFound, TransitionRefused
from chiso.events import service as events
from chiso.framework import (
    Framework,
    FrameworkError,
    dump_framework,
    load_framework,
    load_shipped,
    parse_framework,
    shipped_codes,
)
from chiso.permissions import Actor, check
from chiso.values import service as values
from chiso.values.models import Value
from chiso.values.schemas import ValueIn
from chiso.yamlio import safe_yaml


class ValidationFailed(ChisoError):
    kind = "validation"

    def __init__(self, problems: list[Problem], what: str = "") -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        listed = "\n".join(f"  - {p}" for p in errors[:50])
        more = f"\n  … and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"{what}{len(errors)} error(s); nothing was changed:\n{listed}{more}")


# --- frameworks and periods ------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _parse(sha256: str, document: str) -> Framework:
    return parse_framework(safe_yaml(document), f"framework {sha256[:12]}")


def framework_of(period: CollectionPeriod) -> Framework:
    """The framework exactly as published for the period."""
    stored = period.framework_version
    return _parse(stored.sha256, stored.document)


def publish_framework(*, session: Session, framework: Framework, actor: Actor) -> FrameworkVersion:
    """Store the framework's YAML and hash once; the same framework again returns the stored one."""
    document = dump_framework(framework)
    digest = hashlib.sha256(document.encode("utf-8")).hexdigest()
    found = session.scalar(
        select(FrameworkVersion).where(FrameworkVersion.code == framework.code, FrameworkVersion.sha256 == digest)
    )
    if found is not None:
        return found
    stored = FrameworkVersion(
        code=framework.code,
        edition=framework.edition,
        name=framework.name,
        sha256=digest,
        document=document,
        published_by=actor.user,
    )
    session.add(stored)
    audit.record(
        session=session,
        actor=actor.user,
        action="framework.publish",
        entity="framework",
        entity_key=f"{framework.code}@{digest[:12]}",
        after={"code": framework.code, "edition": framework.edition, "sha256": digest},
    )
    return stored


def framework_codes(*, session: Session) -> list[str]:
    """The frameworks a period can be opened with by code: the shipped ones and those published here."""
    published = session.scalars(select(FrameworkVersion.code).distinct())
    return sorted({*shipped_codes(), *published})


def _framework(session: Session, source: str, paths: bool) -> Framework:
    """The framework `source` names: a shipped or published code; a YAML file only when `paths`."""
    if source in shipped_codes():
        return load_shipped(source)
    stored = session.scalars(
        select(FrameworkVersion)
        .where(FrameworkVersion.code == source)
        .order_by(FrameworkVersion.published_at.desc(), FrameworkVersion.id.desc())
    ).first()
    if stored is not None:
        return _parse(stored.sha256, stored.document)
    if not paths:
        known = ", ".join(framework_codes(session=session))
        raise NotFound(f"không có bộ chỉ số {source[:80]!r} / no framework {source[:80]!r}; chọn / choose: {known}")
    try:
        return load_framework(source)
    except FrameworkError as exc:
        raise ChisoError(str(exc)) from exc


def open_period(*, session: Session, period_in: PeriodOpen, actor: Actor, paths: bool = False) -> CollectionPeriod:
    """Open a period: publish its framework, put every unit in scope with one draft item per indicator.

    The framework is a shipped or published code; `paths` (the CLI, run on the server by its
    administrator) also lets it name a YAML file. The web never may: a path would read any server file.
    """
    check(actor, "period.open")
    if period_in.closes_on < period_in.opens_on:
        raise ChisoError.of(
            "period.dates",
            field="closes_on",
            closes=period_in.closes_on.strftime("%d/%m/%Y"),
            opens=period_in.opens_on.strftime("%d/%m/%Y"),
        )
    framework = _framework(session, period_in.framework, paths)
    unknown = [code for code in period_in.units if not units.find(code, era=period_in.era)]
    if unknown:
        raise NotFound(f"unknown unit code(s) in era {period_in.era}: {', '.join(unknown)} (see chiso units search)")
    codes = {ind.code for ind in framework.indicators}
    assigned = period_in.assigned or {}
    strays = sorted({unit for unit in assigned if unit not in period_in.units})
    strays += sorted({ind for inds in assigned.values() for ind in inds if ind not in codes})
    if strays:
        raise NotFound(f"assigned to units or indicators that are not in the period: {', '.join(strays)}")
    code = period_in.code or f"{period_in.year}/{framework.code}"
    if session.scalar(select(CollectionPeriod.id).where(CollectionPeriod.code == code)) is not None:
        raise ChisoError.of("period.exists", field="code", hint="--code", period=code)
    period = CollectionPeriod(
        code=code,
        framework_version=publish_framework(session=session, framework=framework, actor=actor),
        year=period_in.year,
        era=period_in.era,
        value_period=str(period_in.year),
        opens_on=period_in.opens_on,
        closes_on=period_in.closes_on,
        state="open",
        created_by=actor.user,
    )
    session.add(period)
    for unit_code in dict.fromkeys(period_in.units):
        submission = Submission(period=period, unit_code=unit_code, state="draft")
        session.add(submission)
        session.add_all(
            Declaration(submission=submission, indicator_code=ind.code, state="draft", updated_by=actor.user)
            for ind in framework.indicators
            if period_in.assigned is None or ind.code in assigned.get(unit_code, ())
        )
    audit.record(
        session=session,
        actor=actor.user,
        action="period.open",
        entity="period",
        entity_key=code,
        after={
            "framework": framework.code,
            "year": period_in.year,
            "units": list(period_in.units),
            "opens_on": str(period_in.opens_on),
            "closes_on": str(period_in.closes_on),
        },
    )
    session.flush()
    events.period_changed(session=session, period=period, type="vn.chiso.period.opened")
    return period


def get_period(*, session: Session, code: str) -> CollectionPeriod:
    period = session.scalar(select(CollectionPeriod).where(CollectionPeriod.code == code))
    if period is None:
        # Only published periods are named: anyone may ask (the public API's 404), and the codes of
        # periods still being collected are not theirs to learn (`chiso period status` lists them all).
        published = session.scalars(
            select(CollectionPeriod.code).where(CollectionPeriod.state == "published").order_by(CollectionPeriod.id)
        ).all()
        raise NotFound(f"no period {code!r}; published periods: {', '.join(published) or 'none'}")
    return period


def move_period(*, session: Session, period: CollectionPeriod, action: str, actor: Actor, reason: str = "") -> None:
    before = period.state
    period.state = next_state(f"period {period.code}", period.state, action, PERIOD_TRANSITIONS)
    audit.record(
        session=session,
        actor=actor.user,
        action=f"period.{action}",
        entity="period",
        entity_key=period.code,
        before={"state": before},
        after={"state": period.state},
        reason=reason,
    )


def close_period(*, session: Session, code: str, actor: Actor) -> CollectionPeriod:
    check(actor, "period.close")
    period = get_period(session=session, code=code)
    move_period(session=session, period=period, action="close", actor=actor)
    events.period_changed(session=session, period=period, type="vn.chiso.period.closed")
    return period


def reopen_period(*, session: Session, code: str, reason: str, actor: Actor) -> CollectionPeriod:
    """Admin only, with a reason: the period opens again; published items go back to accepted."""
    check(actor, "period.reopen")
    if not reason.strip():
        raise ChisoError.of("period.reason-needed", field="reason", hint="--reason")
    period = get_period(session=session, code=code)
    move_period(session=session, period=period, action="reopen", actor=actor, reason=reason)
    for submission in submissions(session=session, period=period):
        for item in items(session=session, submission=submission):
            if item.state in ("approved", "published"):
                move_item(session=session, item=item, action="reopen", actor=actor, reason=reason)
        refresh(session, submission, items(session=session, submission=submission))
    return period


def submissions(*, session: Session, period: CollectionPeriod) -> Sequence[Submission]:
    return session.scalars(
        select(Submission).where(Submission.period_id == period.id).order_by(Submission.unit_code)
    ).all()


def get_submission(*, session: Session, period: CollectionPeriod, unit_code: str) -> Submission:
    found = session.scalar(
        select(Submission).where(Submission.period_id == period.id, Submission.unit_code == unit_code)
    )
    if found is None:
        raise NotFound(f"unit {unit_code} is not in the scope of period {period.code}")
    return found


def items(*, session: Session, submission: Submission) -> Sequence[Declaration]:
    # The submission is at hand: no need to join it (and its period and framework) to every item.
    return session.scalars(
        select(Declaration)
        .where(Declaration.submission_id == submission.id)
        .order_by(Declaration.id)
        .options(lazyload(Declaration.submission))
    ).all()


def status(*, session: Session, code: str, actor: Actor, today: dt.date) -> PeriodStatus:
    """Completeness: per unit its state, items declared, when submitted, and items overdue."""
    period = get_period(session=session, code=code)
    check(actor, "period.view", None if actor.unit_code is None else actor.unit_code)
    framework = framework_of(period)
    scope = [s for s in submissions(session=session, period=period) if actor.unit_code in (None, s.unit_code)]
    current = values.current(
        session=session, period=period.value_period, era=period.era, unit_codes=[s.unit_code for s in scope]
    )
    late = today > period.closes_on and period.state != "published"
    rows = []
    for submission in scope:
        unit_items = items(session=session, submission=submission)
        by_state: dict[str, int] = {}
        declared = 0
        for item in unit_items:
            by_state[item.state] = by_state.get(item.state, 0) + 1
            variables = framework.node(item.indicator_code).variables  # type: ignore[union-attr]
            if item.self_score is not None or any((submission.unit_code, v) in current for v in variables):
                declared += 1
        overdue = sum(1 for i in unit_items if late and i.state in ("draft", "returned"))
        found = units.find(submission.unit_code, era=period.era)
        rows.append(
            UnitStatus(
                submission.unit_code,
                found[0].name if found else "",
                submission.state,
                len(unit_items),
                declared,
                by_state,
                submission.submitted_at,
                overdue,
            )
        )
    return PeriodStatus(period.code, framework.code, period.state, period.opens_on, period.closes_on, rows)


# --- items -----------------------------------------------------------------------------------------


def snapshot(item: Declaration, figures: dict[str, float | None] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "state": item.state,
        "self_score": item.self_score,
        "explanation": item.explanation,
        "appraised_score": item.appraised_score,
        "comment": item.comment,
        "evidence": [_evidence_key(e) for e in item.evidence],
        "version": item.version,
    }
    if figures is not None:
        out["values"] = figures
    return out


def evidence_rows(item: Declaration, item_in: DeclarationIn, files: FileStore | None, actor: Actor) -> list[Evidence]:
    """The item's evidence as declared: new files stored, a document declared again keeps its stored file."""
    kept = _kept_files(item)
    rows = []
    for e in item_in.evidence or ():
        key = (e.doc_number, None if e.doc_date is None else e.doc_date.isoformat(), e.summary)
        # staged with the item's transaction: moved into place only if it commits
        stored = files.store(e.file, session=object_session(item)) if e.file is not None and files is not None else None
        old = kept.get(key) if stored is None else None
        rows.append(
            Evidence(
                doc_number=e.doc_number,
                doc_date=e.doc_date,
                summary=e.summary,
                file_sha256=stored.sha256 if stored else old and old.file_sha256,
                file_name=stored.name if stored else old and old.file_name,
                media_type=stored.media_type if stored else old and old.media_type,
                size_bytes=stored.size if stored else old and old.size_bytes,
                added_by=actor.user,
            )
        )
    return rows


def _kept_files(item: Declaration) -> dict[tuple[Any, ...], Evidence]:
    return {tuple(_evidence_key(e)[:3]): e for e in item.evidence if e.file_sha256}


def _evidence_key(e: Evidence) -> list[Any]:
    return [e.doc_number, None if e.doc_date is None else e.doc_date.isoformat(), e.summary, e.file_sha256]


def move_item(*, session: Session, item: Declaration, action: str, actor: Actor, reason: str = "") -> None:
    submission = item.submission
    before = item.state
    item.state = next_state(f"item {submission.unit_code}/{item.indicator_code}", item.state, action)
    item.updated_at, item.updated_by = clock.of(session).now(), actor.user
    audit.record(
        session=session,
        actor=actor.user,
        action=f"declaration.{action}",
        entity="declaration",
        entity_key=f"{submission.period.code}/{submission.unit_code}/{item.indicator_code}",
        before={"state": before},
        after={"state": item.state, "appraised_score": item.appraised_score, "comment": item.comment},
        reason=reason,
    )


def refresh(session: Session, submission: Submission, unit_items: Sequence[Declaration]) -> None:
    """The unit-period's state from its items' states."""
    state = unit_state([i.state for i in unit_items])
    if state != submission.state:
        if state in ("submitted", "resubmitted"):
            submission.submitted_at = clock.of(session).now()
        submission.state = state


def get_item(*, session: Session, period: CollectionPeriod, unit_code: str, indicator: str) -> Declaration:
    submission = get_submission(session=session, period=period, unit_code=unit_code)
    found = session.scalar(
        select(Declaration).where(Declaration.submission_id == submission.id, Declaration.indicator_code == indicator)
    )
    if found is None:
        raise NotFound(f"framework {framework_of(period).code} has no indicator {indicator!r}")
    return found


def editable(period: CollectionPeriod, item: Declaration, action: str = "edit") -> None:
    """Refuse changes by the unit in a published period, and to drafts once the period is closed."""
    if period.state == "published":
        raise TransitionRefused(f"period {period.code}", "published", action, allowed("published", PERIOD_TRANSITIONS))
    if period.state == "closed" and item.state == "draft":
        raise TransitionRefused(f"period {period.code}", "closed", f"{action} a draft item", ["reopen"])


@dataclass(frozen=True)
class Diff:
    stored_figures: dict[str, float | None]
    values: dict[str, float | None]
    fields: dict[str, Any]
    evidence: bool

    @property
    def any(self) -> bool:
        return bool(self.values or self.fields or self.evidence)


def changes(
    *,
    session: Session,
    period: CollectionPeriod,
    item: Declaration,
    item_in: DeclarationIn,
    files: FileStore | None,
    current: Mapping[tuple[str, str], Value] | None = None,
) -> Diff:
    """What `item_in` would change in the stored item (figures, fields, evidence).

    `current` is the unit's current values when the caller has read them already (batches).
    """
    unit_code = item.submission.unit_code
    if current is None:
        current = values.current(
            session=session,
            period=period.value_period,
            era=period.era,
            unit_codes=[unit_code],
            variables=list(item_in.values),
        )
    stored_figures = {var: current[(unit_code, var)].value for var in item_in.values if (unit_code, var) in current}
    changed_values = {var: v for var, v in item_in.values.items() if stored_figures.get(var) != v}
    evidence_changed = False
    if item_in.evidence is not None:
        kept = _kept_files(item)
        incoming = []
        for e in item_in.evidence:
            key = [e.doc_number, None if e.doc_date is None else e.doc_date.isoformat(), e.summary]
            sha: str | None
            if e.file is not None and files is not None:
                sha = files.digest(e.file)
            else:  # a document cited again without its file keeps the file stored for it
                found = kept.get(tuple(key))
                sha = found.file_sha256 if found else None
            incoming.append([*key, sha])
        evidence_changed = incoming != [_evidence_key(e) for e in item.evidence]
    fields = {"self_score": item_in.self_score, "explanation": item_in.explanation}
    changed_fields = {k: v for k, v in fields.items() if getattr(item, k) != v}
    return Diff(stored_figures, changed_values, changed_fields, evidence_changed)


def declare(
    *,
    session: Session,
    period_code: str,
    unit_code: str,
    item_in: DeclarationIn,
    actor: Actor,
    files: FileStore | None = None,
    expected_version: int | None = None,
) -> bool:
    """Change one item (figures, self-score, explanation, evidence). False when nothing differs.

    Figures go to the value store as `declared` versions. `expected_version` is the item version the
    caller read; ConflictError (with the current item) when someone changed it since.
    """
    check(actor, "declaration.edit", unit_code)
    period = get_period(session=session, code=period_code)
    item = get_item(session=session, period=period, unit_code=unit_code, indicator=item_in.indicator)
    subject = f"item {unit_code}/{item.indicator_code}"
    versioned.expect(subject, version=item.version, expected=expected_version, current=lambda: snapshot(item))
    framework = framework_of(period)
    indicator = framework.node(item.indicator_code)
    wrong = sorted(set(item_in.values) - set(indicator.variables))  # type: ignore[union-attr]
    if wrong:
        raise ChisoError(f"{item.indicator_code} reads {', '.join(indicator.variables)}, not {', '.join(wrong)}")  # type: ignore[union-attr]
    diff = changes(session=session, period=period, item=item, item_in=item_in, files=files)
    if not diff.any:
        return False
    stored_figures, changed_values, changed_fields = diff.stored_figures, diff.values, diff.fields
    evidence_changed = diff.evidence
    editable(period, item)
    next_state(f"item {unit_code}/{item.indicator_code}", item.state, "edit")
    before = snapshot(item, {v: stored_figures.get(v) for v in changed_values})
    with versioned.write(
        session=session,
        subject=subject,
        current=lambda: snapshot(item),
        actor=actor.user,
        action="declaration.edit",
        entity="declaration",
        entity_key=f"{period.code}/{unit_code}/{item.indicator_code}",
        before=before,
        after=lambda: snapshot(item, changed_values),
    ):
        for var, value in changed_values.items():
            values.write(
                session=session,
                value_in=ValueIn(
                    era=period.era,
                    unit_code=unit_code,
                    variable=var,
                    period=period.value_period,
                    value=value,
                    source="declared",
                    lineage={"period": period.code, "indicator": item.indicator_code},
                ),
                actor=actor,
            )
        for field_name, new in changed_fields.items():
            setattr(item, field_name, new)
        if evidence_changed and item_in.evidence is not None:
            rows = evidence_rows(item, item_in, files, actor)
            item.evidence.clear()
            item.evidence.extend(rows)
        item.updated_at, item.updated_by = clock.of(session).now(), actor.user
    return True


def unit_state_for_rules(
    *, session: Session, period: CollectionPeriod, unit_code: str, pending: Sequence[DeclarationIn] = ()
) -> UnitState:
    """The unit's stored figures, self-scores and evidence, with `pending` (not yet saved) on top."""
    submission = get_submission(session=session, period=period, unit_code=unit_code)
    stored = values.current(session=session, period=period.value_period, era=period.era, unit_codes=[unit_code])
    unit_items = items(session=session, submission=submission)
    state = UnitState(
        figures={var: v.value for (_, var), v in stored.items()},
        items={i.indicator_code: ItemState(i.self_score, len(i.evidence)) for i in unit_items},
        measured={var for (_, var), v in stored.items() if v.source == "measured"},
    )
    for item_in in pending:
        state.figures.update(item_in.values)
        state.measured -= set(item_in.values)
        old = state.items.get(item_in.indicator, ItemState())
        count = old.evidence if item_in.evidence is None else len(item_in.evidence)
        state.items[item_in.indicator] = ItemState(item_in.self_score, count)
    return state


def submit(*, session: Session, period_code: str, unit_code: str, actor: Actor) -> list[Problem]:
    """Submit the unit's draft and returned items; the validation rules run first (errors block).

    Returns the warnings.
    """
    check(actor, "declaration.submit", unit_code)
    period = get_period(session=session, code=period_code)
    submission = get_submission(session=session, period=period, unit_code=unit_code)
    unit_items = items(session=session, submission=submission)
    pending = [i for i in unit_items if i.state in ("draft", "returned")]
    if not pending:
        raise TransitionRefused(f"unit {unit_code} in {period.code}", submission.state, "submit", [])
    for item in pending:
        editable(period, item, "submit")
    framework = framework_of(period)
    problems = validate(
        framework,
        load_rules(framework.code),
        unit_state_for_rules(session=session, period=period, unit_code=unit_code),
    )
    if any(p.severity == "error" for p in problems):
        raise ValidationFailed(problems, f"unit {unit_code} cannot be submitted: ")
    for item in pending:
        move_item(session=session, item=item, action="submit", actor=actor)
    refresh(session, submission, unit_items)
    session.flush()
    return [p for p in problems if p.severity == "warning"]
