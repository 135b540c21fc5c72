"""Stored 766 results: one row per unit and period (month or year), replaced when computed again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chiso.db import Base


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
