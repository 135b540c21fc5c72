from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import get_history

from chiso.db import Base, append_only, column_now

VARIANTS = ("self_assessed", "appraised", "final")


class ResultRun(Base):
    """One engine run over a period's values. Immutable; only `published` may go from false to true."""

    __tablename__ = "result_run"
    __table_args__ = (UniqueConstraint("period_id", "variant", "inputs_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("collection_period.id"))
    framework_version_id: Mapped[int] = mapped_column(ForeignKey("framework_version.id"))
    variant: Mapped[str] = mapped_column(String(16))
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[dt.datetime] = mapped_column(default=column_now)
    computed_by: Mapped[str] = mapped_column(String(64))
    published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[dt.datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(64))
    outputs: Mapped[dict[str, Any]]

    rows: Mapped[list[ResultRow]] = relationship(order_by="ResultRow.id", cascade="all")


class ResultRow(Base):
    """Value, points and overall rank of one node for one unit in a run."""

    __tablename__ = "result_row"
    __table_args__ = (UniqueConstraint("run_id", "era", "unit_code", "node"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("result_run.id"))
    era: Mapped[str] = mapped_column(String(8))  # a unit is (era, code): the era of the run's period
    unit_code: Mapped[str] = mapped_column(String(32))
    node: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    points: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[float | None] = mapped_column(Float)


def _unpublished(run: ResultRun) -> bool:
    # The `published` value before this change: only a run not yet published may be published.
    committed = get_history(run, "published").deleted
    return not (committed and committed[0])


append_only(
    ResultRun,
    "a result run is immutable; only an unpublished run can be published, once",
    mutable=("published", "published_at", "published_by"),
    when=_unpublished,
)
append_only(ResultRow, "a result run is immutable: compute a new run instead")


class RankIntervalSet(Base):
    """How far a run's ranks move when the weights vary: the analysis that made its `RankInterval` rows.

    Written once per final run, when it is computed (or published, for a run computed before), and never
    changed: a published run's intervals are those of the day it was computed.
    """

    __tablename__ = "rank_interval_set"

    run_id: Mapped[int] = mapped_column(ForeignKey("result_run.id"), primary_key=True)
    node: Mapped[str] = mapped_column(String(64))  # the node ranked (the index)
    spec: Mapped[dict[str, Any]]  # the `chiso/sensitivity` specification, as run
    draws: Mapped[int]
    factor: Mapped[float] = mapped_column(Float)  # the largest weight noise: weights × (1 ± factor)
    computed_at: Mapped[dt.datetime] = mapped_column(default=column_now)


class RankInterval(Base):
    """One unit's rank in the run and its 5–95 % quantiles over the draws (R's type 7, as COINr)."""

    __tablename__ = "rank_interval"
    __table_args__ = (UniqueConstraint("run_id", "era", "unit_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("rank_interval_set.run_id"))
    era: Mapped[str] = mapped_column(String(8))
    unit_code: Mapped[str] = mapped_column(String(32))
    rank: Mapped[float | None] = mapped_column(Float)  # the run's own rank (the nominal one)
    q05: Mapped[float | None] = mapped_column(Float)
    median: Mapped[float | None] = mapped_column(Float)
    q95: Mapped[float | None] = mapped_column(Float)


append_only(RankIntervalSet, "rank intervals are written once with their run and never change")
append_only(RankInterval, "rank intervals are written once with their run and never change")
