"""What the workflow has settled, no value write may change: the figures of a locked (closed or
published) period and of an item the appraiser accepted or approved. The value store asks here before
recording a value from outside the declaration workflow (API, imports, measures)."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from chiso.collection.models import CollectionPeriod, Declaration, Submission
from chiso.errors import ImmutableError
from chiso.framework import Framework, Indicator, parse_framework
from chiso.values.schemas import ValueIn
from chiso.yamlio import safe_yaml

LOCKED_PERIODS = {"closed": "đã đóng", "published": "đã công bố"}
SETTLED_ITEMS = {"accepted": "đã được chấp nhận", "approved": "đã được phê duyệt", "published": "đã công bố"}


@functools.lru_cache(maxsize=16)
def _framework(sha256: str, document: str) -> Framework:
    return parse_framework(safe_yaml(document), f"framework {sha256[:12]}")


def refuse_settled(*, session: Session, values_in: Sequence[ValueIn]) -> None:
    """ImmutableError for the first value that falls in a locked period or on an accepted/approved item."""
    found = settled(session=session, values_in=values_in)
    if found:
        raise ImmutableError(found[0][1])


def settled(*, session: Session, values_in: Sequence[ValueIn]) -> list[tuple[ValueIn, str]]:
    """Each value that falls in a locked period or on an accepted/approved item, with why (Vietnamese,
    then English), in the order given."""
    if not values_in:
        return []
    scopes = session.execute(
        select(Submission, CollectionPeriod)
        .join(CollectionPeriod, CollectionPeriod.id == Submission.period_id)
        .options(lazyload(Submission.period))
        .where(
            CollectionPeriod.value_period.in_({v.period for v in values_in}),
            CollectionPeriod.era.in_({v.era for v in values_in}),
            Submission.unit_code.in_({v.unit_code for v in values_in}),
        )
    ).all()
    by_key = {(p.era, p.value_period, s.unit_code): (s, p) for s, p in scopes}
    found: list[tuple[ValueIn, str]] = []
    open_ones: dict[int, CollectionPeriod] = {}
    for value_in in values_in:
        scope = by_key.get((value_in.era, value_in.period, value_in.unit_code))
        if scope is None:
            continue
        submission, period = scope
        if period.state in LOCKED_PERIODS:
            found.append((value_in, _locked_period(period, value_in)))
        else:
            open_ones[submission.id] = period
    if not open_ones:
        return found
    settled_items = session.execute(
        select(Declaration.submission_id, Declaration.indicator_code, Declaration.state).where(
            Declaration.submission_id.in_(open_ones), Declaration.state.in_(SETTLED_ITEMS)
        )
    ).all()
    owner: dict[tuple[int, str], tuple[str, str]] = {}
    for submission_id, indicator, state in settled_items:
        period = open_ones[submission_id]
        node = _framework(period.framework_version.sha256, period.framework_version.document).node(indicator)
        for variable in node.variables if isinstance(node, Indicator) else ():
            owner[(submission_id, variable)] = (indicator, state)
    for value_in in values_in:
        scope = by_key.get((value_in.era, value_in.period, value_in.unit_code))
        if scope is None or (scope[0].id, value_in.variable) not in owner:
            continue
        indicator, state = owner[(scope[0].id, value_in.variable)]
        code = scope[1].code
        found.append(
            (
                value_in,
                f"Mục {indicator} của {value_in.era}:{value_in.unit_code} trong kỳ {code} {SETTLED_ITEMS[state]}: "
                f"không ghi đè {value_in.variable} ngoài quy trình — item {indicator} of "
                f"{value_in.era}:{value_in.unit_code} in period {code} is {state}: {value_in.variable} cannot be "
                "changed outside the workflow; the appraiser must return the item first",
            )
        )
    return found


def _locked_period(period: CollectionPeriod, value_in: ValueIn) -> str:
    return (
        f"Kỳ {period.code} {LOCKED_PERIODS[period.state]} và đã khoá: không ghi được {value_in.variable} của "
        f"{value_in.era}:{value_in.unit_code} — period {period.code} is {period.state} and locked: "
        f"{value_in.variable} of {value_in.era}:{value_in.unit_code} cannot be recorded; an administrator "
        "must reopen the period first"
    )
