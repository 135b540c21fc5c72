"""The component lists imported for the province's DTI declarations (one row per import, never changed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from chiso.collection.models import FrameworkVersion
from chiso.db import Base, append_only, column_now


class ComponentList(Base):
    """A component list as imported: the file's columns and rows as read (unknown columns kept, for the
    export in the same layout), and the component-level framework published from it. The newest list of
    a year is the one in force; importing again adds a row."""

    __tablename__ = "dti_component_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    province: Mapped[str] = mapped_column(String(8))  # official code of the province (era 2025)
    framework_version_id: Mapped[int] = mapped_column(ForeignKey("framework_version.id"))
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    columns: Mapped[list[Any]]  # the headers, in the file's order
    rows: Mapped[list[Any]]  # per component: the cells as text by header, and the lead unit's code
    note: Mapped[str] = mapped_column(Text, default="")  # e.g. "ví dụ minh họa" for the demo's list
    imported_at: Mapped[dt.datetime] = mapped_column(default=column_now)
    imported_by: Mapped[str] = mapped_column(String(64))

    framework_version: Mapped[FrameworkVersion] = relationship(lazy="joined")


append_only(ComponentList, "an imported component list never changes: import the list again")
