"""Two real connections edit the same item: one wins, the other gets a conflict with the current value.

Runs on PostgreSQL only (tests/conftest.py: PG_URL): SQLite serialises writers instead.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session
from tests.conftest import TEST_CLOCK, fresh_database
from tests.factories import COMMUNE, PERIOD, open_period, people

from chiso import migrations
from chiso.collection import service as collection
from chiso.collection.schemas import DeclarationIn
from chiso.db import make_engine, transaction
from chiso.errors import ConflictError
from chiso.units.ref import UnitRef
from chiso.values import service as values


def item(n: float) -> DeclarationIn:
    return DeclarationIn(indicator="c4_13", values={"public_wifi_points": n}, explanation=f"{n} điểm WiFi")


@pytest.fixture
def engine(tmp_path):
    with fresh_database("postgresql", tmp_path) as url:
        engine = make_engine(url)
        try:
            migrations.upgrade(engine)
            with transaction(engine, TEST_CLOCK) as session:
                open_period(session, people(session)["admin"])
            yield engine
        finally:
            engine.dispose()


def officer(session):
    from chiso.actors import service as actors

    return actors.get_by_user(session=session, user="canbo.ducxuan")


def test_two_concurrent_edits_one_wins_the_other_conflicts(engine):
    with Session(engine) as first, Session(engine) as second:
        read = {}
        for name, s in (("first", first), ("second", second)):
            period = collection.get_period(session=s, code=PERIOD)
            read[name] = collection.get_item(session=s, period=period, unit_code=COMMUNE, indicator="c4_13").version
        assert read["first"] == read["second"]

        # the first writes and holds its row locks; the second writes the same item from another thread
        collection.declare(session=first, period_code=PERIOD, unit_code=COMMUNE, item_in=item(3), actor=officer(first))
        first.flush()
        outcome: dict[str, object] = {}

        def write_second() -> None:
            try:
                collection.declare(
                    session=second, period_code=PERIOD, unit_code=COMMUNE, item_in=item(5), actor=officer(second)
                )
                second.flush()
                outcome["result"] = "written"
            except ConflictError as exc:
                outcome["result"] = exc

        thread = threading.Thread(target=write_second)
        thread.start()
        thread.join(timeout=2)
        assert thread.is_alive(), "the second writer should wait for the first one's locks"
        first.commit()
        thread.join(timeout=30)
        conflict = outcome["result"]
        assert isinstance(conflict, ConflictError), conflict
        assert "vừa được người khác thay đổi" in str(conflict)
        second.rollback()

    with Session(engine) as check:
        kept = values.history(
            session=check, unit=UnitRef("2025", COMMUNE), variable="public_wifi_points", period="2025"
        )
        assert [v.value for v in kept] == [3]  # the winner's value, once; nothing half-written


def test_stale_expected_version_gets_the_current_value(engine):
    with Session(engine) as first, Session(engine) as second:
        period = collection.get_period(session=second, code=PERIOD)
        seen = collection.get_item(session=second, period=period, unit_code=COMMUNE, indicator="c4_13").version
        collection.declare(session=first, period_code=PERIOD, unit_code=COMMUNE, item_in=item(3), actor=officer(first))
        first.commit()
        second.expire_all()
        with pytest.raises(ConflictError) as caught:
            collection.declare(
                session=second,
                period_code=PERIOD,
                unit_code=COMMUNE,
                item_in=item(5),
                actor=officer(second),
                expected_version=seen,
            )
        assert caught.value.current["explanation"] == "3 điểm WiFi" and caught.value.current["version"] > seen
        second.rollback()
        # a value written with a stale version is refused the same way, carrying the current value
        stale = values.ValueIn(
            era="2025", unit_code=COMMUNE, variable="public_wifi_points", period="2025", value=9, source="measured"
        )
        with pytest.raises(ConflictError) as caught_value:
            values.write(session=second, value_in=stale, actor=officer(second), expected_version=0)
        assert caught_value.value.current == 3
        second.rollback()
