"""Typed objects of the unit registry: eras, kinds, units and succession links."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Era(StrEnum):
    """A period with one set of administrative units. Codes are only unique within an era."""

    Y2024 = "2024"  # before the reorganisation: 63 provinces, districts, ~10,000 communes; to 30/6/2025
    Y2025 = "2025"  # from 1/7/2025: 34 provinces, 3,321 communes, no districts

    @property
    def valid_from(self) -> dt.date | None:
        return ERA_BOUNDS[self][0]

    @property
    def valid_to(self) -> dt.date | None:
        return ERA_BOUNDS[self][1]


REORGANISATION_DATE = dt.date(2025, 7, 1)
ERA_BOUNDS: dict[Era, tuple[dt.date | None, dt.date | None]] = {
    # Units of 2024 were created at many dates the sources do not carry, so their start is unknown.
    Era.Y2024: (None, REORGANISATION_DATE - dt.timedelta(days=1)),
    Era.Y2025: (REORGANISATION_DATE, None),
}


class Kind(StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"
    DEPARTMENT = "department"


# Subtype identifiers (ASCII) → Vietnamese label. A commune-level unit is a xã, phường, đặc khu or
# (before 2025) thị trấn; the label is what the user sees.
SUBTYPE_LABELS: dict[str, str] = {
    "tinh": "tỉnh",
    "thanh_pho_tw": "thành phố trực thuộc trung ương",
    "huyen": "huyện",
    "quan": "quận",
    "thi_xa": "thị xã",
    "thanh_pho": "thành phố",
    "xa": "xã",
    "phuong": "phường",
    "dac_khu": "đặc khu",
    "thi_tran": "thị trấn",
    "so": "sở",
    "van_phong": "văn phòng",
    "thanh_tra": "thanh tra",
    "ban": "ban",
    "co_quan": "cơ quan",
}


@dataclass(frozen=True, slots=True)
class Unit:
    """An administrative unit or a department, identified by (era, code)."""

    era: Era
    code: str
    kind: Kind
    subtype: str
    name: str
    name_en: str | None
    parent_code: str | None
    province_code: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    origin: str  # where the row comes from: the registry package, a patch id, or "chiso" for departments

    @property
    def key(self) -> tuple[Era, str]:
        return (self.era, self.code)

    @property
    def subtype_label(self) -> str:
        return SUBTYPE_LABELS.get(self.subtype, self.subtype)

    def is_valid_on(self, day: dt.date) -> bool:
        starts_ok = self.valid_from is None or self.valid_from <= day
        ends_ok = self.valid_to is None or day <= self.valid_to
        return starts_ok and ends_ok

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready mapping (dates as ISO strings); the shape of `chiso units list --format json`."""
        return {
            "era": self.era.value,
            "code": self.code,
            "kind": self.kind.value,
            "subtype": self.subtype,
            "name": self.name,
            "name_en": self.name_en,
            "parent_code": self.parent_code,
            "province_code": self.province_code,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
        }


class ShareBasis(StrEnum):
    """What a share in the succession map measures."""

    WHOLE = "whole"  # the whole unit went to one target: share 1 by definition
    AREA = "area"  # computed from boundary areas
    POPULATION = "population"
    UNKNOWN = "unknown"  # the source says "a part of" without a figure


@dataclass(frozen=True, slots=True)
class Link:
    """One edge of the succession map: (from_era, from_code) became, wholly or partly, (to_era, to_code).

    `source_share` is the fraction of the old unit that went to this target (sums to 1 over its targets);
    `target_share` is the fraction of the new unit that came from this old unit (sums to 1 over its
    predecessors). Either is None when the sources do not give it; the basis says how it was measured.
    """

    from_era: Era
    from_kind: Kind
    from_code: str
    to_era: Era
    to_kind: Kind
    to_code: str
    partial: bool
    source_share: float | None
    source_share_basis: ShareBasis
    target_share: float | None
    target_share_basis: ShareBasis
    origin: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "from_era": self.from_era.value,
            "from_kind": self.from_kind.value,
            "from_code": self.from_code,
            "to_era": self.to_era.value,
            "to_kind": self.to_kind.value,
            "to_code": self.to_code,
            "partial": self.partial,
            "source_share": self.source_share,
            "source_share_basis": self.source_share_basis.value,
            "target_share": self.target_share,
            "target_share_basis": self.target_share_basis.value,
            "origin": self.origin,
        }
