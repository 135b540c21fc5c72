"""The worker: keeps provisional results live and pushes the outbox to webhooks, signed, with retries.

A small queue in the database's own tables, no broker: the events are written in the transaction of
their change, and a province's installation is one server with one database (see docs/integration.md).
Every state is in the database, so a worker that stops resumes where it was. Two workers never send
the same delivery at once: on PostgreSQL a batch is locked with `SELECT … FOR UPDATE SKIP LOCKED` (rows
another worker holds are skipped) and marked claimed; on SQLite, which has a single writer, one
`UPDATE … WHERE id IN (SELECT …)` claims it atomically. A claim left by a worker that died expires
after `lease_seconds`. Delivery is at least once: a worker that dies after posting and before recording
posts again; receivers de-duplicate on `ce-id`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from chiso import clock
from chiso.collection.models import CollectionPeriod
from chiso.errors import ChisoError
from chiso.events import service as events
from chiso.events.models import OutboxEvent, WebhookDelivery, WebhookSubscription
from chiso.events.verify import signature
from chiso.permissions import Actor

log = logging.getLogger("chiso.events")
Sessions = Callable[[], Session]
# (url, body, headers, timeout) → HTTP status; raises httpx.HTTPError when nothing answers.
Send = Callable[[str, bytes, dict[str, str], float], int]
WORKER = Actor("chiso-worker", frozenset({"system"}))  # who computes the provisional runs


@dataclass(frozen=True)
class Policy:
    attempts: int = 10  # then the delivery is dead
    backoff_seconds: float = 120.0  # after the first failure; doubled after each (10 attempts: ~17 h)
    lease_seconds: float = 300.0  # a claim older than this was left by a worker that stopped
    timeout_seconds: float = 10.0
    batch: int = 50

    def delay(self, attempts_made: int) -> dt.timedelta:
        return dt.timedelta(seconds=self.backoff_seconds * 2 ** max(attempts_made - 1, 0))


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def source_of(province: str | None) -> str:
    """The CloudEvents `source` of this installation."""
    return f"/chiso/{province}" if province else "/chiso"


# --- live results -----------------------------------------------------------------------------------
def _periods(session: Session, pending: Sequence[OutboxEvent]) -> dict[CollectionPeriod, tuple[str, ...]]:
    """The periods to compute again, with their variants: an approval changes only the final run (it
    counts approved items); measured values change every variant."""
    from chiso.results.models import VARIANTS

    approved = {e.data["period"] for e in pending if e.type == "vn.chiso.unit.approved"}
    value_periods = {p for e in pending if e.type == "vn.chiso.values.measured" for p in e.data["periods"]}
    query = select(CollectionPeriod).where(
        or_(CollectionPeriod.code.in_(approved), CollectionPeriod.value_period.in_(value_periods)),
        CollectionPeriod.state != "published",  # a published period's runs never change
    )
    return {
        period: VARIANTS if period.value_period in value_periods else ("final",)
        for period in session.scalars(query.order_by(CollectionPeriod.id)).all()
    }


def refresh_results(*, sessions: Sessions, actor: Actor = WORKER) -> int:
    """Compute the provisional runs of the periods that approvals or measured values changed since the last
    pass; each new final run is announced (`vn.chiso.result.updated`). Returns the events handled."""
    from chiso.results import service as results  # results emits events itself

    with sessions() as session:  # read only: an idle worker takes no write lock
        if session.scalar(select(OutboxEvent.id).where(OutboxEvent.handled_at.is_(None)).limit(1)) is None:
            return 0
    with sessions() as session:
        now = clock.of(session).now()
        # Rows locked for this worker on PostgreSQL (others skip them). Reads come first and the writes
        # last, so that on SQLite the worker holds the write lock only while it stores the runs: a web
        # request that writes meanwhile would be refused ("database is locked").
        pending = session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.handled_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(500)
            .with_for_update(skip_locked=True)
        ).all()
        ids = [e.id for e in pending]
        if not ids:
            return 0
        for period, variants in _periods(session, pending).items():
            try:
                runs = results.compute(session=session, period_code=period.code, actor=actor, variants=variants)
            except ChisoError as exc:  # a period that cannot be computed is reported, not retried forever
                log.warning("live results of %s: %s", period.code, exc)
                continue
            for run, created in runs:
                if created and run.variant == "final":
                    events.result_changed(session=session, run=run, period=period, type="vn.chiso.result.updated")
        session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id.in_(ids), OutboxEvent.handled_at.is_(None))
            .values(handled_at=now)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return len(ids)


# --- webhooks ---------------------------------------------------------------------------------------
def claim(*, session: Session, worker: str, policy: Policy, due_by: dt.datetime | None = None) -> tuple[str, list[int]]:
    """Claim a batch of deliveries due by `due_by` (default now) for this worker: its claim token, their ids."""
    now = clock.of(session).now()
    token = f"{worker}:{uuid.uuid4().hex[:12]}"
    due = (
        WebhookDelivery.state == "pending",
        # A first attempt is due at once: another process's clock (CHISO_CLOCK restarts it in each) may
        # have stamped it a little ahead of ours.
        or_(WebhookDelivery.attempts == 0, WebhookDelivery.next_attempt_at <= (due_by or now)),
        or_(
            WebhookDelivery.claimed_by.is_(None),
            WebhookDelivery.claimed_at < now - dt.timedelta(seconds=policy.lease_seconds),
        ),
    )
    chosen = select(WebhookDelivery.id).where(*due).order_by(WebhookDelivery.id).limit(policy.batch)
    if session.get_bind().dialect.name == "postgresql":
        # Lock the batch first: inside `IN (…)` PostgreSQL may run a LIMIT … SKIP LOCKED subquery more
        # than once and claim more rows than the batch.
        target = WebhookDelivery.id.in_(session.scalars(chosen.with_for_update(skip_locked=True)).all())
    else:  # SQLite: one statement, atomic under its single writer, that takes the write lock at once
        target = WebhookDelivery.id.in_(chosen.scalar_subquery())
    ids = session.scalars(
        update(WebhookDelivery)
        .where(target, *due)
        .values(claimed_by=token, claimed_at=now)
        .returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)
    ).all()
    return token, sorted(ids)


def _post(client: httpx.Client) -> Send:
    def send(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        return client.post(url, content=body, headers=headers, timeout=timeout).status_code

    return send


def request_of(
    event: OutboxEvent, subscription: WebhookSubscription, source: str, at: dt.datetime
) -> tuple[bytes, dict[str, str]]:
    """The body (CloudEvents JSON) and headers of one push, signed at `at`."""
    body = json.dumps(events.envelope(event, source), ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/cloudevents+json; charset=utf-8",
        "User-Agent": "Chiso-Webhooks/1",
        "Chiso-Signature": signature(subscription.secret, body, int(at.timestamp())),
        "ce-id": event.event_id,
        "ce-type": event.type,
        "ce-source": source,
        "ce-specversion": "1.0",
        "ce-subject": event.subject,
    }
    return body, headers


def _attempt(sessions: Sessions, delivery_id: int, token: str, source: str, policy: Policy, send: Send) -> bool:
    with sessions() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        event = session.get(OutboxEvent, delivery.event_id)
        subscription = session.get(WebhookSubscription, delivery.subscription_id)
        assert event is not None and subscription is not None
        body, headers = request_of(event, subscription, source, clock.of(session).now())
        url, active, attempts = subscription.url, subscription.active, delivery.attempts + 1
    status: int | None = None
    error = ""
    if not active:
        error = "subscription removed"
    else:
        try:  # no transaction is open while the receiver answers
            status = send(url, body, headers, policy.timeout_seconds)
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:  # nothing answered: try again later
            error = f"{type(exc).__name__}: {exc}"[:500]
    ok = status is not None and 200 <= status < 300
    if status is not None and not ok:
        error = f"HTTP {status}"
    with sessions() as session:
        now = clock.of(session).now()
        outcome: dict[str, object] = {"attempts": attempts, "last_status": status, "last_error": error}
        if ok:
            outcome.update(state="delivered", delivered_at=now)
        elif not active or attempts >= policy.attempts:
            outcome.update(state="dead")
        else:
            outcome.update(next_attempt_at=now + policy.delay(attempts))
        # One UPDATE, writing first (on SQLite a read before a write can deadlock with another writer);
        # nothing changes when the claim expired and another worker took the delivery over.
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.claimed_by == token)
            .values(claimed_by=None, claimed_at=None, **outcome)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    return ok


def deliver(
    *, sessions: Sessions, source: str, policy: Policy = Policy(), worker: str | None = None, send: Send | None = None
) -> int:
    """Post every due delivery once (claimed in batches); returns how many were attempted."""
    worker = worker or worker_name()
    attempted = 0
    with sessions() as session:  # read only: an idle worker takes no write lock
        # Only what was due when the pass began: a failure is retried in a later pass, not in a loop here.
        began = clock.of(session).now()
        due = select(WebhookDelivery.id).where(
            WebhookDelivery.state == "pending",
            or_(WebhookDelivery.attempts == 0, WebhookDelivery.next_attempt_at <= began),
        )
        if session.scalar(due.limit(1)) is None:
            return 0
    with httpx.Client(follow_redirects=False) as client:
        send = send or _post(client)
        while True:
            with sessions() as session:
                token, ids = claim(session=session, worker=worker, policy=policy, due_by=began)
                session.commit()
            if not ids:
                return attempted
            for delivery_id in ids:
                _attempt(sessions, delivery_id, token, source, policy, send)
            attempted += len(ids)


def run_once(*, sessions: Sessions, source: str, policy: Policy = Policy(), worker: str | None = None) -> int:
    """One pass: live results first (their `result.updated` events go out in the same pass), then webhooks."""
    handled = refresh_results(sessions=sessions)
    return handled + deliver(sessions=sessions, source=source, policy=policy, worker=worker)


def run(
    *,
    sessions: Sessions,
    source: str,
    stop: threading.Event,
    policy: Policy = Policy(),
    idle_seconds: float = 0.2,
) -> None:
    """Pass after pass until `stop` is set, pausing `idle_seconds` when there was nothing to do."""
    worker = worker_name()
    while not stop.is_set():
        try:
            busy = run_once(sessions=sessions, source=source, policy=policy, worker=worker)
        except OperationalError as exc:  # SQLite busy with another writer: the pass is rolled back, try again
            log.info("events worker: %s; trying again", exc.orig)
            stop.wait(idle_seconds)
            continue
        except Exception:  # a worker that dies silently stops every push; log, wait, go on
            log.exception("events worker: pass failed; retrying in 5 s")
            stop.wait(5)
            continue
        if not busy:
            stop.wait(idle_seconds)
