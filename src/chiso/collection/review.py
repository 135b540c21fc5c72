"""Appraisal: list items, return one with a comment, accept, approve a unit; publish locks the period."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from chiso import units
from chiso.collection.models import Appraisal, CollectionPeriod, Declaration
from chiso.collection.schemas import ItemView
from chiso.collection.service import (
    editable,
    framework_of,
    get_item,
    get_period,
    get_submission,
    items,
    move_item,
    move_period,
    refresh,
    submissions,
)
from chiso.errors import ChisoError, TransitionRefused
from chiso.events import service as events
from chiso.permissions import Actor, check
from chiso.values import service as values


class ScoreOutOfRange(ChisoError):
    """An appraised score below 0 or above the indicator's maximum points."""

    def __init__(self, indicator: str, top: float | None) -> None:
        self.indicator, self.top = indicator, top
        params = {"indicator": indicator, "top": float(top or 0)}
        super().__init__(code="review.score-range", params=params, field="appraised_score")


def list_items(
    *,
    session: Session,
    period_code: str,
    actor: Actor,
    unit_code: str | None = None,
    states: Sequence[str] = (),
) -> list[ItemView]:
    check(actor, "declaration.view", unit_code or actor.unit_code)
    period = get_period(session=session, code=period_code)
    framework = framework_of(period)
    unit_code = unit_code or actor.unit_code
    scope = [s for s in submissions(session=session, period=period) if unit_code in (None, s.unit_code)]
    current = values.current(
        session=session, period=period.value_period, era=period.era, unit_codes=[s.unit_code for s in scope]
    )
    out = []
    for submission in scope:
        for item in items(session=session, submission=submission):
            if states and item.state not in states:
                continue
            indicator = framework.node(item.indicator_code)
            figures = {
                v: (current[(submission.unit_code, v)].value if (submission.unit_code, v) in current else None)
                for v in indicator.variables  # type: ignore[union-attr]
            }
            out.append(
                ItemView(
                    submission.unit_code,
                    item.indicator_code,
                    item.state,
                    indicator.max_points,
                    item.self_score,
                    item.appraised_score,
                    figures,
                    item.explanation,
                    item.comment,
                    [
                        " – ".join(p for p in (e.doc_number, str(e.doc_date or ""), e.summary) if p)
                        for e in item.evidence
                    ],
                    item.version,
                )
            )
    return out


def _decide(
    session: Session,
    period: CollectionPeriod,
    item: Declaration,
    decision: str,
    actor: Actor,
    comment: str,
    score: float | None,
) -> None:
    if score is not None:
        top = framework_of(period).node(item.indicator_code).max_points
        if score < 0 or (top is not None and score > top):
            raise ScoreOutOfRange(item.indicator_code, top)
        item.appraised_score = score
    if comment:
        item.comment = comment
    move_item(session=session, item=item, action=decision, actor=actor, reason=comment)
    session.add(
        Appraisal(
            declaration_id=item.id,
            decision=decision,
            appraised_score=score,
            comment=comment,
            appraiser=actor.user,
        )
    )


def _not_published(period: CollectionPeriod, action: str) -> None:
    if period.state == "published":
        raise TransitionRefused(f"period {period.code}", "published", action, ["reopen"])


def return_item(
    *,
    session: Session,
    period_code: str,
    unit_code: str,
    indicator: str,
    comment: str,
    actor: Actor,
    appraised_score: float | None = None,
) -> Declaration:
    """Send an item back to the unit ("cần bổ sung minh chứng"): a comment is required."""
    check(actor, "declaration.appraise", unit_code)
    if not comment.strip():
        raise ChisoError.of("review.comment-needed", field="comment", hint="--comment")
    period = get_period(session=session, code=period_code)
    _not_published(period, "return")
    item = get_item(session=session, period=period, unit_code=unit_code, indicator=indicator)
    _decide(session, period, item, "return", actor, comment, appraised_score)
    refresh(session, item.submission, items(session=session, submission=item.submission))
    session.flush()
    return item


def accept(
    *,
    session: Session,
    period_code: str,
    unit_code: str,
    actor: Actor,
    indicators: Sequence[str] = (),
    appraised_score: float | None = None,
    comment: str = "",
) -> list[Declaration]:
    """Accept the given items, or every submitted and resubmitted item of the unit."""
    check(actor, "declaration.appraise", unit_code)
    if appraised_score is not None and len(indicators) != 1:
        raise ChisoError.of("review.one-indicator", field="indicator", hint="--indicator")
    period = get_period(session=session, code=period_code)
    _not_published(period, "accept")
    submission = get_submission(session=session, period=period, unit_code=unit_code)
    unit_items = items(session=session, submission=submission)
    if indicators:
        chosen = [get_item(session=session, period=period, unit_code=unit_code, indicator=i) for i in indicators]
    else:
        chosen = [i for i in unit_items if i.state in ("submitted", "resubmitted")]
        if not chosen:
            raise TransitionRefused(f"unit {unit_code} in {period.code}", submission.state, "accept", [])
    for item in chosen:
        _decide(session, period, item, "accept", actor, comment, appraised_score)
    refresh(session, submission, unit_items)
    session.flush()
    return chosen


def approve(*, session: Session, period_code: str, unit_code: str, actor: Actor) -> list[Declaration]:
    """Approve a unit: every item must have been accepted."""
    check(actor, "declaration.approve", unit_code)
    period = get_period(session=session, code=period_code)
    _not_published(period, "approve")
    submission = get_submission(session=session, period=period, unit_code=unit_code)
    unit_items = items(session=session, submission=submission)
    waiting = [f"{i.indicator_code} ({i.state})" for i in unit_items if i.state != "accepted"]
    if waiting:
        shown = ", ".join(waiting[:10]) + (f" … and {len(waiting) - 10} more" if len(waiting) > 10 else "")
        raise TransitionRefused(
            f"unit {unit_code} in {period.code}", submission.state, "approve", [], f"items not accepted: {shown}"
        )
    for item in unit_items:
        _decide(session, period, item, "approve", actor, "", None)
    refresh(session, submission, unit_items)
    session.flush()
    events.unit_approved(session=session, period=period, unit_code=unit_code, by=actor.user)
    return list(unit_items)


def not_approved(*, session: Session, period: CollectionPeriod) -> ChisoError | None:
    """Why the period cannot be published yet (units not approved, listed by name), or None."""
    pending = [s.unit_code for s in submissions(session=session, period=period) if s.state != "approved"]
    if not pending:
        return None
    names = [_unit_name(code, period.era) for code in pending[:10]]
    more = f" … (+{len(pending) - 10})" if len(pending) > 10 else ""
    return ChisoError.of("results.units-not-approved", n=len(pending), units=", ".join(names) + more)


def _unit_name(code: str, era: str) -> str:
    found = units.find(code, era=era)
    return found[0].name if found else code


def lock(*, session: Session, period: CollectionPeriod, actor: Actor) -> None:
    """Publish the period: every unit approved; items become published and read-only."""
    refused = not_approved(session=session, period=period)
    if refused is not None:
        raise refused
    move_period(session=session, period=period, action="publish", actor=actor)
    for submission in submissions(session=session, period=period):
        unit_items = items(session=session, submission=submission)
        for item in unit_items:
            move_item(session=session, item=item, action="publish", actor=actor)
        refresh(session, submission, unit_items)


__all__ = ["accept", "approve", "editable", "list_items", "lock", "return_item"]
