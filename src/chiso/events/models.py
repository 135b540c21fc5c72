"""The outbox (events written with the change that caused them), webhook subscriptions and deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chiso.db import Base, append_only, column_now


class OutboxEvent(Base):
    """One CloudEvent, written in the transaction of the change it reports; never changed but for
    `handled_at` (the worker has brought the provisional results up to date after it)."""

    __tablename__ = "outbox_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)  # the CloudEvent id, receivers' dedup key
    type: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    time: Mapped[dt.datetime]
    data: Mapped[dict[str, Any]]
    handled_at: Mapped[dt.datetime | None] = mapped_column(index=True)


class WebhookSubscription(Base):
    """Where to push events: a URL, the secret that signs them, the event types wanted (`*` for all)."""

    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(128))
    event_types: Mapped[str] = mapped_column(Text)  # space-separated types or prefixes ending in `*`
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=column_now)
    created_by: Mapped[str] = mapped_column(String(64))


class WebhookDelivery(Base):
    """One event to one subscription: the delivery log, and the queue the worker claims from."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "subscription_id"),
        Index("ix_webhook_delivery_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_event.id"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscription.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending, delivered, dead
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_at: Mapped[dt.datetime | None]
    last_status: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[dt.datetime | None]


append_only(OutboxEvent, "an event is never changed once written", mutable=("handled_at",))
