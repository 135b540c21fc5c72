"""The whole workflow for a commune and its appraiser through the service layer."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from tests.factories import COMMUNE, OTHER, PERIOD, declare_all, doc, open_period, people

from chiso.audit.models import AuditEntry
from chiso.collection import review
from chiso.collection import service as collection
from chiso.collection.schemas import DeclarationIn
from chiso.errors import ChisoError, ImmutableError, PermissionDenied, TransitionRefused
from chiso.units.ref import UnitRef
from chiso.values import service as values


def states(session, unit=COMMUNE) -> dict[str, str]:
    period = collection.get_period(session=session, code=PERIOD)
    submission = collection.get_submission(session=session, period=period, unit_code=unit)
    return {i.indicator_code: i.state for i in collection.items(session=session, submission=submission)}


def test_declare_submit_return_resubmit_accept_approve(db_session):
    s = db_session
    p = people(s)
    period = open_period(s, p["admin"])
    assert len(states(s)) == 62 and set(states(s).values()) == {"draft"}

    declare_all(s, p["officer"])
    assert (
        values.get_current(
            session=s, unit=UnitRef("2025", COMMUNE), variable="fixed_broadband_users", period="2025"
        ).value
        == 400
    )
    warnings = collection.submit(session=s, period_code=PERIOD, unit_code=COMMUNE, actor=p["officer"])
    assert {w.indicator for w in warnings} == {"c1_1"}  # self-score 4, the figures give 3
    assert set(states(s).values()) == {"submitted"}
    assert collection.get_submission(session=s, period=period, unit_code=COMMUNE).state == "submitted"

    # forbidden: editing a submitted item, appraising as an officer, approving before accepting
    with pytest.raises(TransitionRefused, match="«submitted»: không thể edit"):
        collection.declare(
            session=s,
            period_code=PERIOD,
            unit_code=COMMUNE,
            item_in=DeclarationIn(indicator="c3_5", values={"cyber_drill": 0}),
            actor=p["officer"],
        )
    with pytest.raises(PermissionDenied):
        review.return_item(
            session=s, period_code=PERIOD, unit_code=COMMUNE, indicator="c3_5", comment="x", actor=p["officer"]
        )
    with pytest.raises(PermissionDenied, match="only for unit 01843"):
        declare_all(s, p["other"], unit=COMMUNE)
    with pytest.raises(TransitionRefused, match="items not accepted"):
        review.approve(session=s, period_code=PERIOD, unit_code=COMMUNE, actor=p["appraiser"])
    with pytest.raises(ChisoError, match="cần có nhận xét"):
        review.return_item(
            session=s, period_code=PERIOD, unit_code=COMMUNE, indicator="c3_5", comment=" ", actor=p["appraiser"]
        )

    # the appraiser returns one item: "cần bổ sung minh chứng"
    review.return_item(
        session=s,
        period_code=PERIOD,
        unit_code=COMMUNE,
        indicator="c3_5",
        comment="Cần bổ sung minh chứng: biên bản diễn tập",
        appraised_score=0,
        actor=p["appraiser"],
    )
    assert states(s)["c3_5"] == "returned"
    assert collection.get_submission(session=s, period=period, unit_code=COMMUNE).state == "returned"
    with pytest.raises(TransitionRefused, match="«returned»: không thể accept"):
        review.accept(session=s, period_code=PERIOD, unit_code=COMMUNE, indicators=["c3_5"], actor=p["appraiser"])

    # the unit explains, adds evidence and resubmits
    assert collection.declare(
        session=s,
        period_code=PERIOD,
        unit_code=COMMUNE,
        item_in=DeclarationIn(
            indicator="c3_5",
            values={"cyber_drill": 1},
            self_score=10,
            explanation="Đã bổ sung biên bản diễn tập ngày 20/10/2025",
            evidence=(doc("22/KH-UBND"), doc("31/BB-UBND", "Biên bản diễn tập")),
        ),
        actor=p["officer"],
    )
    collection.submit(session=s, period_code=PERIOD, unit_code=COMMUNE, actor=p["officer"])
    assert states(s)["c3_5"] == "resubmitted"
    assert collection.get_submission(session=s, period=period, unit_code=COMMUNE).state == "resubmitted"
    with pytest.raises(TransitionRefused, match="không thể submit"):
        collection.submit(session=s, period_code=PERIOD, unit_code=COMMUNE, actor=p["officer"])

    review.accept(
        session=s, period_code=PERIOD, unit_code=COMMUNE, indicators=["c3_5"], appraised_score=10, actor=p["appraiser"]
    )
    review.accept(session=s, period_code=PERIOD, unit_code=COMMUNE, actor=p["appraiser"])
    assert set(states(s).values()) == {"accepted"}
    review.approve(session=s, period_code=PERIOD, unit_code=COMMUNE, actor=p["appraiser"])
    assert set(states(s).values()) == {"approved"}

    listed = review.list_items(session=s, period_code=PERIOD, unit_code=COMMUNE, states=["approved"], actor=p["admin"])
    c3_5 = next(i for i in listed if i.indicator == "c3_5")
    assert c3_5.appraised_score == 10 and c3_5.comment.startswith("Cần bổ sung") and len(c3_5.evidence) == 2

    # every change is in the audit log, which cannot be changed
    actions = s.scalars(select(AuditEntry.action)).all()
    assert {"period.open", "declaration.edit", "declaration.submit", "declaration.return", "declaration.accept"} <= set(
        actions
    )
    entry = s.scalars(select(AuditEntry)).first()
    entry.reason = "rewritten"
    with pytest.raises(ImmutableError):
        s.flush()
    s.rollback()


def test_submit_runs_the_validation_rules(db_session):
    s = db_session
    p = people(s)
    open_period(s, p["admin"])
    collection.declare(
        session=s,
        period_code=PERIOD,
        unit_code=COMMUNE,
        item_in=DeclarationIn(indicator="c1_3", values={"households_fibre": 900, "households": 800}),
        actor=p["officer"],
    )
    with pytest.raises(collection.ValidationFailed) as caught:
        collection.submit(session=s, period_code=PERIOD, unit_code=COMMUNE, actor=p["officer"])
    messages = [str(x) for x in caught.value.problems if x.severity == "error"]
    # the figures named by their labels (issue 12), the numerator above its denominator
    above = "«Số hộ gia đình có thuê bao Internet cáp quang» (900) lớn hơn «"
    assert any(above in m and "(800)" in m for m in messages)
    assert any("c1_3" in m and "minh chứng" in m for m in messages)  # 10 points claimed without evidence
    assert set(states(s).values()) == {"draft"}


def test_redeclaring_the_same_thing_changes_nothing(db_session):
    s = db_session
    p = people(s)
    open_period(s, p["admin"])
    declare_all(s, p["officer"])
    count = len(s.scalars(select(AuditEntry)).all())
    declare_all(s, p["officer"])
    assert len(s.scalars(select(AuditEntry)).all()) == count
    assert len(values.history(session=s, unit=UnitRef("2025", COMMUNE), variable="cyber_drill", period="2025")) == 1


def test_period_close_status_and_reopen(db_session):
    s = db_session
    p = people(s)
    open_period(s, p["admin"])
    declare_all(s, p["officer"])
    collection.submit(session=s, period_code=PERIOD, unit_code=COMMUNE, actor=p["officer"])
    with pytest.raises(PermissionDenied):
        collection.close_period(session=s, code=PERIOD, actor=p["appraiser"])
    collection.close_period(session=s, code=PERIOD, actor=p["admin"])
    status = collection.status(session=s, code=PERIOD, actor=p["appraiser"], today=dt.date(2025, 12, 5))
    assert status.not_submitted == [OTHER] and status.not_declared == [OTHER]
    other = next(u for u in status.units if u.unit_code == OTHER)
    assert other.overdue == 62 and other.unit_name == "Phường Bắc Kạn"
    with pytest.raises(TransitionRefused, match="closed"):
        declare_all(s, p["other"], unit=OTHER)
    with pytest.raises(ChisoError, match="cần ghi lý do"):
        collection.reopen_period(session=s, code=PERIOD, reason="", actor=p["admin"])
    collection.reopen_period(session=s, code=PERIOD, reason="Gia hạn theo công văn 12/SKHCN", actor=p["admin"])
    declare_all(s, p["other"], items=[DeclarationIn(indicator="c3_6", values={"cyber_training": 0})], unit=OTHER)
    entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "period.reopen")).one()
    assert entry.reason.startswith("Gia hạn") and entry.actor == "admin"
