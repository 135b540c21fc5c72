"""Stored 766 results (one row per unit and period, replaced when computed again) and the declared
figures of the components Chiso cannot measure (versions, never overwritten)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Float, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chiso.db import Base, append_only, column_now


class Service766Score(Base):
    """A unit's Decision 766 index for one period: total, rank within its kind, every node's points."""

    __tablename__ = "service766_score"
    __table_args__ = (
        UniqueConstraint("era", "unit_code", "period"),
        Index("ix_service766_score_kind_period", "unit_kind", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    era: Mapped[str] = mapped_column(String(8))
    unit_code: Mapped[str] = mapped_column(String(32))
    unit_kind: Mapped[str] = mapped_column(String(16))  # province, department, commune: ranked within it
    grain: Mapped[str] = mapped_column(String(8))  # month or year
    period: Mapped[str] = mapped_column(String(16))  # 2025-03, 2025
    total: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None]
    ranked: Mapped[int]  # units of the kind ranked in the period
    points: Mapped[dict[str, Any]]  # node code → points (None: no value)
    inputs: Mapped[dict[str, Any]]  # variable → value the points were computed from
    records: Mapped[int]
    computed_at: Mapped[dt.datetime]
    lineage: Mapped[dict[str, Any]]  # framework, measure set and versions, engine, lake snapshot, as of


class Service766Declaration(Base):
    """One version of a declared input of a component that is `measurable: false` (PAKN, population
    data …) for a unit and a period (month or year). A change inserts the next version, so who gave
    which figure when stays readable; the unique key with the version is the optimistic lock.

    Its own table rather than the value store: the variables share names with the commune set's
    (`feedback_on_time`), its periods are months, and the collection workflow's locks do not apply.
    """

    __tablename__ = "service766_declaration"
    __table_args__ = (
        UniqueConstraint("era", "unit_code", "period", "variable", "version"),
        CheckConstraint("version >= 1", name="version"),
        Index("ix_service766_declaration_period", "era", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    era: Mapped[str] = mapped_column(String(8))
    unit_code: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(16))  # 2025-09 or 2025
    variable: Mapped[str] = mapped_column(String(64))  # an input the framework reads, e.g. feedback_on_time
    value: Mapped[float] = mapped_column(Float)
    version: Mapped[int]
    recorded_at: Mapped[dt.datetime] = mapped_column(default=column_now)
    recorded_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")  # where it came from: a file and row, the web form


append_only(Service766Declaration, "declared figures are never overwritten: declare a new version instead")
