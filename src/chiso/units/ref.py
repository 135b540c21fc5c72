"""A unit's identity: (era, code). Codes are reused across the 2025 reorganisation — 00004 is Phường
Trúc Bạch in era 2024 and Phường Ba Đình in era 2025 — so a bare code never names a unit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

ERAS: Final = ("2024", "2025")
CURRENT_ERA: Final = "2025"  # the era of today's units; what a caller that names no era means


@dataclass(frozen=True, order=True)
class UnitRef:
    """One unit: the era of its unit list and its official code in that era."""

    era: str
    code: str

    def __post_init__(self) -> None:
        if self.era not in ERAS:
            raise ValueError(f"unknown era {self.era!r}; eras: {', '.join(ERAS)}")

    def __str__(self) -> str:  # for logs, audit keys and JSON
        return f"{self.era}:{self.code}"

    @classmethod
    def parse(cls, text: str) -> UnitRef:
        """`2025:00004` → UnitRef("2025", "00004")."""
        era, colon, code = text.partition(":")
        if not colon or not code:
            raise ValueError(f"{text!r} is not ERA:CODE, e.g. 2025:00004")
        return cls(era, code)
