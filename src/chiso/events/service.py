"""Emitting events: a CloudEvent row in the outbox, written in the transaction of the change it reports.

An event written with its change is pushed only if the change commits, and is never lost if the push
fails: the worker delivers from the table (the "transactional outbox"). The helpers below build the
`data` of each event, with names beside the codes, so that each service adds one line.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chiso import clock, units
from chiso.events.models import OutboxEvent, WebhookDelivery, WebhookSubscription

if TYPE_CHECKING:
    from chiso.collection.models import CollectionPeriod
    from chiso.results.models import ResultRun
    from chiso.values.models import Value

PREFIX = "vn.chiso."
TYPES: dict[str, tuple[str, str]] = {
    "vn.chiso.period.opened": ("Kỳ thu thập được mở", "A collection period was opened"),
    "vn.chiso.period.closed": ("Kỳ thu thập được đóng", "A collection period was closed"),
    "vn.chiso.unit.approved": ("Đơn vị được phê duyệt", "A unit's declarations were approved"),
    "vn.chiso.values.measured": ("Số liệu đo tự động được ghi", "Measured values were recorded"),
    "vn.chiso.result.updated": ("Kết quả tạm tính được cập nhật", "Provisional results were brought up to date"),
    "vn.chiso.result.published": ("Kết quả được công bố", "A result run was published"),
    "vn.chiso.service766.computed": (
        "Chỉ số phục vụ người dân, doanh nghiệp (766) được tính",
        "The Decision 766 index was computed",
    ),
    "vn.chiso.ping": ("Thử kết nối", "A test event (chiso hooks test)"),
}
# Events after which the worker brings the provisional results of their period up to date.
LIVE = frozenset({"vn.chiso.unit.approved", "vn.chiso.values.measured"})


def wants(subscription: WebhookSubscription, type: str) -> bool:
    """Whether a subscription's filter (types, or prefixes ending in `*`; `*` alone: all) takes `type`."""
    for pattern in subscription.event_types.split():
        if pattern == type or (pattern.endswith("*") and type.startswith(pattern[:-1])):
            return True
    return False


def emit(
    *,
    session: Session,
    type: str,
    subject: str,
    data: dict[str, Any],
    to: Sequence[WebhookSubscription] | None = None,
) -> OutboxEvent:
    """Write an event, and a pending delivery for each active subscription that wants it (or for `to`)."""
    if type not in TYPES:
        raise KeyError(f"unknown event type {type!r}; register it in chiso.events.service.TYPES")
    now = clock.of(session).now()
    event = OutboxEvent(
        event_id=str(uuid.uuid4()),
        type=type,
        subject=subject,
        time=now,
        data=data,
        handled_at=None if type in LIVE else now,
    )
    session.add(event)
    session.flush()
    if to is None:
        active = session.scalars(select(WebhookSubscription).where(WebhookSubscription.active.is_(True))).all()
        to = [s for s in active if wants(s, type)]
    session.add_all(
        WebhookDelivery(event_id=event.id, subscription_id=s.id, state="pending", attempts=0, next_attempt_at=now)
        for s in to
    )
    return event


def envelope(event: OutboxEvent, source: str) -> dict[str, Any]:
    """The event as CloudEvents 1.0 JSON (structured mode)."""
    return {
        "specversion": "1.0",
        "id": event.event_id,
        "source": source,
        "type": event.type,
        "subject": event.subject,
        "time": event.time.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "data": event.data,
    }


def unit_name(code: str, era: str) -> str | None:
    found = units.find(code, era=era)
    return found[0].name if found else None


def _period(period: CollectionPeriod) -> dict[str, Any]:
    return {
        "period": period.code,
        "year": period.year,
        "era": period.era,
        "framework": period.framework_version.code,
        "framework_name": period.framework_version.name,
        "state": period.state,
    }


# --- one helper per event, so that a service emits with one line ------------------------------------
def period_changed(*, session: Session, period: CollectionPeriod, type: str) -> OutboxEvent:
    return emit(session=session, type=type, subject=f"period/{period.code}", data=_period(period))


def unit_approved(*, session: Session, period: CollectionPeriod, unit_code: str, by: str) -> OutboxEvent:
    data = {**_period(period), "unit_code": unit_code, "unit_name": unit_name(unit_code, period.era), "by": by}
    return emit(session=session, type="vn.chiso.unit.approved", subject=f"unit/{unit_code}", data=data)


def values_recorded(*, session: Session, rows: Sequence[Value | None]) -> OutboxEvent | None:
    """One event per batch of measured values (other sources are reported by their own workflow)."""
    measured = [r for r in rows if r is not None and r.source == "measured"]
    if not measured:
        return None
    periods = sorted({r.period for r in measured})
    codes = sorted({r.unit_code for r in measured})
    data = {
        "periods": periods,
        "units": [{"code": c, "name": unit_name(c, "2025") or unit_name(c, "2024")} for c in codes[:500]],
        "unit_count": len(codes),
        "variables": sorted({r.variable for r in measured})[:200],
        "value_count": len(measured),
    }
    return emit(session=session, type="vn.chiso.values.measured", subject=f"values/{'+'.join(periods)}", data=data)


def ranking_of(session: Session, run: ResultRun, period: CollectionPeriod) -> list[dict[str, Any]]:
    """The units' index rank in a run, with their names, best first."""
    from chiso.collection.service import framework_of  # the collection services emit events themselves
    from chiso.results.models import ResultRow

    index = framework_of(period).index
    rows = session.execute(
        select(ResultRow.unit_code, ResultRow.value, ResultRow.rank).where(
            ResultRow.run_id == run.id, ResultRow.node == index
        )
    ).all()
    ranked = sorted(rows, key=lambda r: (r.rank is None, r.rank or 0, r.unit_code))
    return [
        {"unit_code": r.unit_code, "unit_name": unit_name(r.unit_code, period.era), "value": r.value, "rank": r.rank}
        for r in ranked
    ]


def result_changed(*, session: Session, run: ResultRun, period: CollectionPeriod, type: str) -> OutboxEvent:
    """A run published, or computed again by the worker: its period, variant and index ranking."""
    session.flush()
    data = {
        **_period(period),
        "run_id": run.id,
        "variant": run.variant,
        "published": run.published,
        "ranking": ranking_of(session, run, period),
    }
    return emit(session=session, type=type, subject=f"period/{period.code}/run/{run.id}", data=data)
