"""Webhook subscriptions (administrators only): add, list, remove, ping, and the delivery log."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from chiso.audit import service as audit
from chiso.errors import ChisoError, NotFound
from chiso.events import service as events
from chiso.events.models import OutboxEvent, WebhookDelivery, WebhookSubscription
from chiso.permissions import Actor, check

STATES = ("pending", "delivered", "dead")


@dataclass(frozen=True)
class LogRow:
    delivery: WebhookDelivery
    event_id: str
    type: str
    url: str


def _types(event_types: Sequence[str]) -> str:
    chosen = [t for text in event_types for t in text.replace(",", " ").split()] or ["*"]
    for t in chosen:
        if t != "*" and t not in events.TYPES and not (t.endswith("*") and t.startswith(events.PREFIX)):
            raise ChisoError(
                f"loại sự kiện không có — unknown event type {t!r}; types: {', '.join(events.TYPES)} "
                f"(or a prefix such as vn.chiso.result.*, or * for all)"
            )
    return " ".join(dict.fromkeys(chosen))


def add(
    *, session: Session, url: str, actor: Actor, event_types: Sequence[str] = (), secret: str | None = None
) -> WebhookSubscription:
    """Subscribe `url` to some event types (all by default); the secret is made when not given."""
    check(actor, "hooks.manage")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ChisoError(f"địa chỉ không hợp lệ — not an http(s) URL: {url!r} (e.g. https://ioc.example.vn/chiso)")
    if secret is not None and len(secret) < 16:
        raise ChisoError("khóa bí mật quá ngắn — the secret must have at least 16 characters")
    subscription = WebhookSubscription(
        url=url.strip(),
        secret=secret or secrets.token_urlsafe(32),
        event_types=_types(event_types),
        active=True,
        created_by=actor.user,
    )
    session.add(subscription)
    session.flush()
    audit.record(
        session=session,
        actor=actor.user,
        action="hooks.add",
        entity="webhook_subscription",
        entity_key=str(subscription.id),
        after={"url": subscription.url, "event_types": subscription.event_types},
    )
    return subscription


def get(*, session: Session, subscription_id: int, actor: Actor) -> WebhookSubscription:
    check(actor, "hooks.manage")
    found = session.get(WebhookSubscription, subscription_id)
    if found is None or not found.active:
        raise NotFound(f"không có đăng ký {subscription_id} — no webhook subscription {subscription_id}")
    return found


def list_subscriptions(*, session: Session, actor: Actor) -> Sequence[WebhookSubscription]:
    check(actor, "hooks.manage")
    query = select(WebhookSubscription).where(WebhookSubscription.active.is_(True))
    return session.scalars(query.order_by(WebhookSubscription.id)).all()


def remove(*, session: Session, subscription_id: int, actor: Actor) -> WebhookSubscription:
    """Stop a subscription: its pending deliveries become dead; the log stays."""
    subscription = get(session=session, subscription_id=subscription_id, actor=actor)
    subscription.active = False
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription.id, WebhookDelivery.state == "pending")
        .values(state="dead", last_error="subscription removed")
    )
    audit.record(
        session=session,
        actor=actor.user,
        action="hooks.remove",
        entity="webhook_subscription",
        entity_key=str(subscription.id),
        before={"url": subscription.url},
    )
    session.flush()
    return subscription


def ping(*, session: Session, subscription_id: int, actor: Actor) -> OutboxEvent:
    """A `vn.chiso.ping` event for one subscription only, delivered by the worker like any other."""
    subscription = get(session=session, subscription_id=subscription_id, actor=actor)
    data = {"subscription": subscription.id, "by": actor.user, "message": "Chiso: thử kết nối — test event"}
    return events.emit(
        session=session, type="vn.chiso.ping", subject=f"hooks/{subscription.id}", data=data, to=[subscription]
    )


def log(*, session: Session, actor: Actor, state: str | None = None, limit: int = 100) -> list[LogRow]:
    """The latest deliveries, newest first (of one state when given)."""
    check(actor, "hooks.manage")
    if state is not None and state not in STATES:
        raise ChisoError(f"trạng thái không có — unknown state {state!r}; states: {', '.join(STATES)}")
    query = (
        select(WebhookDelivery, OutboxEvent.event_id, OutboxEvent.type, WebhookSubscription.url)
        .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if state is not None:
        query = query.where(WebhookDelivery.state == state)
    return [LogRow(*row) for row in session.execute(query).all()]
