"""Events reach the IOC: written with their change, pushed signed to a real receiver, exactly once each
by id after it comes back, retried with backoff, dead after the last attempt."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from chiso.errors import ChisoError, PermissionDenied
from chiso.events import delivery, hooks
from chiso.events.models import OutboxEvent, WebhookDelivery
from chiso.events.verify import verify
from tests import factories as f
from tests.conftest import TEST_CLOCK

DOC = Path(__file__).resolve().parents[2] / "docs" / "integration.md"
FAST = delivery.Policy(attempts=3, backoff_seconds=0)
SOURCE = "/chiso/19"


def documented_verify():
    """The verification snippet of docs/integration.md, run as a receiver would copy it."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    snippet = next(b for b in blocks if "def verify(" in b)
    namespace: dict = {}
    exec(snippet, namespace)  # our own documentation
    return namespace["verify"]


def subscribe(site, url, *types, secret="s3cret-for-the-ioc-0001"):
    with site.session() as s:
        made = hooks.add(session=s, url=url, event_types=types, secret=secret, actor=site.people["admin"])
        s.commit()
        return made.id


def run_worker(site, policy=FAST):
    return delivery.run_once(sessions=site.session, source=SOURCE, policy=policy, worker="test")


def test_a_receiver_down_gets_every_event_once_when_it_is_back(site, receiver):
    secret = "s3cret-for-the-ioc-0001"
    subscribe(site, receiver.url, "*", secret=secret)
    receiver.stop()  # the IOC is down while the period is published
    with site.session() as s:
        people = {**f.people(s), "admin": site.people["admin"]}
        f.open_period(s, people["admin"])
        f.results_for(s, people, publish=True)
        s.commit()
    run_worker(site)  # every push fails: nothing listens
    with site.session() as s:
        rows = s.scalars(select(WebhookDelivery)).all()
        assert rows and {r.state for r in rows} == {"pending"} and {r.attempts for r in rows} == {1}
        assert all(r.last_error for r in rows)
    receiver.start()  # back on the same port
    run_worker(site)
    run_worker(site)  # nothing left: a second pass sends nothing again
    got = receiver.events()
    ids = Counter(e["id"] for e in got)
    assert ids and set(ids.values()) == {1}, ids
    types = Counter(e["type"] for e in got)
    assert types["vn.chiso.period.opened"] == 1 and types["vn.chiso.unit.approved"] == 2
    assert types["vn.chiso.result.published"] == 1
    with site.session() as s:
        stored = {e.event_id for e in s.scalars(select(OutboxEvent)).all()}
        assert set(ids) == stored  # every event written is received
        assert {r.state for r in s.scalars(select(WebhookDelivery)).all()} == {"delivered"}
    published = next(e for e in got if e["type"] == "vn.chiso.result.published")
    assert published["specversion"] == "1.0" and published["source"] == SOURCE
    assert published["data"]["period"] == f.PERIOD and published["data"]["framework_name"]
    assert {r["unit_name"] for r in published["data"]["ranking"]} == {"Phường Đức Xuân", "Phường Bắc Kạn"}
    approved = next(e for e in got if e["type"] == "vn.chiso.unit.approved")
    assert approved["data"]["unit_name"] in ("Phường Đức Xuân", "Phường Bắc Kạn")
    check = documented_verify()
    now = TEST_CLOCK.now().timestamp()
    for headers, body in receiver.received:
        assert headers["ce-id"] and headers["content-type"].startswith("application/cloudevents+json")
        assert check(secret, body, headers["chiso-signature"], now=now)
        assert verify(secret, body, headers["chiso-signature"], now=now)
    headers, body = receiver.received[0]
    tampered = body.replace(b'"specversion":"1.0"', b'"specversion":"1.1"')
    assert tampered != body
    assert not check(secret, tampered, headers["chiso-signature"], now=now)
    assert not check("another-secret-0000", body, headers["chiso-signature"], now=now)
    assert not check(secret, body, headers["chiso-signature"], now=now + 301)  # a replay, 5 min later


def test_the_filter_the_backoff_and_the_dead_letter(site, receiver):
    subscribe(site, receiver.url, "vn.chiso.result.*")
    receiver.stop()
    dead_url = receiver.url
    subscribe(site, dead_url, "vn.chiso.period.opened")
    with site.session() as s:
        f.open_period(s, site.people["admin"])
        s.commit()
    slow = delivery.Policy(attempts=2, backoff_seconds=3600)
    run_worker(site, slow)
    run_worker(site, slow)  # not due again for an hour: still one attempt
    with site.session() as s:
        (row,) = s.scalars(select(WebhookDelivery)).all()  # only the period subscription wanted it
        assert row.attempts == 1 and row.state == "pending" and row.next_attempt_at > TEST_CLOCK.now()
        row.next_attempt_at = TEST_CLOCK.now()  # the hour has passed
        s.commit()
    run_worker(site, slow)  # the second and last attempt fails: dead
    with site.session() as s:
        assert [r.delivery.state for r in hooks.log(session=s, actor=site.people["admin"], state="dead")] == ["dead"]
        assert hooks.log(session=s, actor=site.people["admin"], state="pending") == []


def test_two_workers_never_claim_the_same_delivery(site, receiver):
    subscribe(site, receiver.url)
    with site.session() as s:
        f.open_period(s, site.people["admin"])
        s.commit()
    with site.session() as s:
        first = delivery.claim(session=s, worker="a", policy=FAST)
        second = delivery.claim(session=s, worker="b", policy=FAST)
        s.commit()
    assert first[1] and second[1] == []


def test_ping_and_remove(site, receiver):
    hook = subscribe(site, receiver.url, "vn.chiso.unit.approved")
    with site.session() as s:
        hooks.ping(session=s, subscription_id=hook, actor=site.people["admin"])
        s.commit()
    run_worker(site)
    assert [e["type"] for e in receiver.events()] == ["vn.chiso.ping"]
    with site.session() as s:
        with pytest.raises(PermissionDenied):
            hooks.list_subscriptions(session=s, actor=site.people["appraiser"])
        with pytest.raises(ChisoError, match="unknown event type"):
            hooks.add(session=s, url=receiver.url, event_types=["result.done"], actor=site.people["admin"])
        with pytest.raises(ChisoError, match="not an http"):
            hooks.add(session=s, url="ftp://ioc", actor=site.people["admin"])
        hooks.remove(session=s, subscription_id=hook, actor=site.people["admin"])
        assert hooks.list_subscriptions(session=s, actor=site.people["admin"]) == []
