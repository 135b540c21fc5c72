"""Two workers on two connections at once never claim the same delivery (PostgreSQL: SKIP LOCKED;
SQLite: one writer at a time)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from chiso import migrations
from chiso.clock import bind
from chiso.db import make_engine
from chiso.events import delivery
from chiso.events import service as events
from chiso.events.models import WebhookSubscription
from tests.conftest import TEST_CLOCK

POLICY = delivery.Policy(batch=2)


def test_concurrent_claims_are_disjoint(database_url):
    engine = make_engine(database_url)
    try:
        migrations.upgrade(engine)
        with bind(Session(engine), TEST_CLOCK) as s:
            hook = WebhookSubscription(url="http://127.0.0.1:9/x", secret="s" * 20, event_types="*", created_by="t")
            s.add(hook)
            s.flush()
            for n in range(4):
                events.emit(session=s, type="vn.chiso.ping", subject=f"hooks/{n}", data={})
            s.commit()
        first, second = bind(Session(engine), TEST_CLOCK), bind(Session(engine), TEST_CLOCK)
        try:
            _, mine = delivery.claim(session=first, worker="a", policy=POLICY)  # not committed yet
            assert len(mine) == 2
            if engine.dialect.name == "postgresql":
                _, theirs = delivery.claim(session=second, worker="b", policy=POLICY)  # skips the locked rows
            else:
                with pytest.raises(OperationalError, match="locked"):  # waits for the one writer, in vain
                    delivery.claim(session=second, worker="b", policy=POLICY)
                second.rollback()
                first.commit()
                _, theirs = delivery.claim(session=second, worker="b", policy=POLICY)
            first.commit()
            second.commit()
            assert len(theirs) == 2 and not set(mine) & set(theirs)
            _, none_left = delivery.claim(session=second, worker="c", policy=POLICY)
            assert none_left == []
        finally:
            first.close()
            second.close()
    finally:
        engine.dispose()
