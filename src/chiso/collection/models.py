from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chiso.db import Base, append_only, column_now


class FrameworkVersion(Base):
    """A framework as published: its YAML and hash. Never changed once stored."""

    __tablename__ = "framework_version"
    __table_args__ = (UniqueConstraint("code", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    edition: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text, deferred=True)  # the YAML: loaded when read, not with every join
    published_at: Mapped[dt.datetime] = mapped_column(default=column_now)
    published_by: Mapped[str] = mapped_column(String(64))


class CollectionPeriod(Base):
    __tablename__ = "collection_period"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    framework_version_id: Mapped[int] = mapped_column(ForeignKey("framework_version.id"))
    year: Mapped[int]
    era: Mapped[str] = mapped_column(String(8))
    value_period: Mapped[str] = mapped_column(String(32))
    opens_on: Mapped[dt.date]
    closes_on: Mapped[dt.date]
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=column_now)
    created_by: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    framework_version: Mapped[FrameworkVersion] = relationship(lazy="joined")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Submission(Base):
    """One unit in a period's scope; its state follows its items (see collection.workflow)."""

    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("period_id", "unit_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("collection_period.id"))
    unit_code: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    period: Mapped[CollectionPeriod] = relationship(lazy="joined")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Declaration(Base):
    """One item: unit × indicator × period. Figures live in the value table (source `declared`)."""

    __tablename__ = "declaration"
    __table_args__ = (UniqueConstraint("submission_id", "indicator_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"))
    indicator_code: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    self_score: Mapped[float | None] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(Text, default="")
    appraised_score: Mapped[float | None] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=column_now)
    updated_by: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    submission: Mapped[Submission] = relationship(lazy="joined")
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="declaration", order_by="Evidence.id", cascade="all, delete-orphan"
    )
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class CitedDocument:
    """The columns of a document cited as evidence (số hiệu – ngày – trích yếu), optionally with a file
    in the evidence store; declarations and task progress reports cite documents alike."""

    doc_number: Mapped[str] = mapped_column(String(100))
    doc_date: Mapped[dt.date | None]
    summary: Mapped[str] = mapped_column(Text, default="")
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_name: Mapped[str | None] = mapped_column(String(255))
    media_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int | None]


class Evidence(CitedDocument, Base):
    """A document cited as evidence of a declaration."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id"), index=True)
    added_at: Mapped[dt.datetime] = mapped_column(default=column_now)
    added_by: Mapped[str] = mapped_column(String(64))

    declaration: Mapped[Declaration] = relationship(back_populates="evidence")


class Appraisal(Base):
    """One decision of the appraiser on an item: return, accept or approve (history, append-only)."""

    __tablename__ = "appraisal"

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declaration.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    appraised_score: Mapped[float | None] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[dt.datetime] = mapped_column(default=column_now)
    appraiser: Mapped[str] = mapped_column(String(64))


append_only(FrameworkVersion, "a published framework never changes: publish a new version")
append_only(Appraisal, "appraisal decisions are history: record a new decision instead")
