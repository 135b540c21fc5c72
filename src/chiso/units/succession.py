"""The succession map of 1/7/2025: which old (2024) units became which new (2025) ones.

Links come from the official conversion table (communes), corrected by the patch list, and are derived
for provinces. A 2024 district has no links of its own except the five island districts that became
special zones whole; its successors are derived from its communes' links.
"""

from __future__ import annotations

import functools
from collections import defaultdict

import pandas as pd

from chiso.units.errors import UnitsError
from chiso.units.registry import ERAS, KINDS, collector_paused, data_rows, get, list_units, parse_kind
from chiso.units.schemas import Era, Kind, Link, ShareBasis, Unit

LINK_FRAME_COLUMNS = [
    "from_code",
    "to_code",
    "partial",
    "source_share",
    "source_share_basis",
    "target_share",
    "target_share_basis",
    "origin",
]


def _share(text: str) -> float | None:
    return float(text) if text else None


BASES = {basis.value: basis for basis in ShareBasis}


@functools.cache
def links() -> tuple[Link, ...]:
    """Every link of the shipped succession map, sorted by old unit then new unit."""
    at, rows = data_rows("succession.csv.gz")
    from_era, from_kind, from_code, to_era, to_kind, to_code = (
        at[c] for c in ("from_era", "from_kind", "from_code", "to_era", "to_kind", "to_code")
    )
    partial, share, share_basis, target, target_basis, origin = (
        at[c] for c in ("partial", "source_share", "source_share_basis", "target_share", "target_share_basis", "origin")
    )
    with collector_paused():
        return tuple(
            Link(
                from_era=ERAS[row[from_era]],
                from_kind=KINDS[row[from_kind]],
                from_code=row[from_code],
                to_era=ERAS[row[to_era]],
                to_kind=KINDS[row[to_kind]],
                to_code=row[to_code],
                partial=row[partial] == "1",
                source_share=_share(row[share]),
                source_share_basis=BASES[row[share_basis]],
                target_share=_share(row[target]),
                target_share_basis=BASES[row[target_basis]],
                origin=row[origin],
            )
            for row in rows
        )


@functools.cache
def _from_index() -> dict[tuple[Era, str], tuple[Link, ...]]:
    index: dict[tuple[Era, str], list[Link]] = defaultdict(list)
    for link in links():
        index[(link.from_era, link.from_code)].append(link)
    return {key: tuple(value) for key, value in index.items()}


@functools.cache
def _to_index() -> dict[tuple[Era, str], tuple[Link, ...]]:
    index: dict[tuple[Era, str], list[Link]] = defaultdict(list)
    for link in links():
        index[(link.to_era, link.to_code)].append(link)
    return {key: tuple(value) for key, value in index.items()}


def successors(code: str, *, era: str | Era = Era.Y2024, level: str | Kind | None = None) -> list[Link]:
    """Where an old unit went. Empty for units of the current era (2025), which have no successors yet.

    With `level="commune"`, a province or district answers with the links of the communes inside it
    (and of its island districts), e.g. which new communes old Bắc Kạn's communes went to.
    """
    unit = get(code, era=era)
    if _wants_inner_level(unit, level):
        return [link for inner in _inner_units(unit) for link in _from_index().get(inner.key, ())]
    direct = _from_index().get(unit.key, ())
    if direct or unit.kind is not Kind.DISTRICT:
        return list(direct)
    return _district_successors(unit)


def predecessors(code: str, *, era: str | Era = Era.Y2025, level: str | Kind | None = None) -> list[Link]:
    """What a new unit was made from. Empty for units of the first era (2024).

    With `level="commune"`, a province answers with the links into its communes.
    """
    unit = get(code, era=era)
    if _wants_inner_level(unit, level):
        return [link for inner in _inner_units(unit) for link in _to_index().get(inner.key, ())]
    return list(_to_index().get(unit.key, ()))


def _wants_inner_level(unit: Unit, level: str | Kind | None) -> bool:
    if level is None:
        return False
    wanted = parse_kind(level)
    if wanted is unit.kind:
        return False
    if wanted is Kind.COMMUNE and unit.kind in (Kind.PROVINCE, Kind.DISTRICT):
        return True
    raise UnitsError(
        f"{unit.name} is a {unit.kind.value}; its links are at its own level or, for a province or "
        "district, at commune level (`--level commune`)."
    )


def _inner_units(unit: Unit) -> list[Unit]:
    """The communes inside a province or district, and for a province its districts (island special
    zones link from a district)."""
    if unit.kind is Kind.DISTRICT:
        return list_units(era=unit.era, kind=Kind.COMMUNE, parent=unit.code)
    return list_units(era=unit.era, province=unit.code, kind=Kind.DISTRICT) + list_units(
        era=unit.era, province=unit.code, kind=Kind.COMMUNE
    )


def _district_successors(district: Unit) -> list[Link]:
    """A district's successors: the new communes its communes went to, all partial unless only one."""
    communes = list_units(era=district.era, kind=Kind.COMMUNE, parent=district.code)
    targets = sorted({link.to_code for c in communes for link in _from_index().get(c.key, ())})
    whole = len(targets) == 1 and all(not link.partial for c in communes for link in _from_index().get(c.key, ()))
    return [
        Link(
            from_era=district.era,
            from_kind=Kind.DISTRICT,
            from_code=district.code,
            to_era=Era.Y2025,
            to_kind=Kind.COMMUNE,
            to_code=target,
            partial=not whole,
            source_share=1.0 if whole else None,
            source_share_basis=ShareBasis.WHOLE if whole else ShareBasis.UNKNOWN,
            target_share=None,
            target_share_basis=ShareBasis.UNKNOWN,
            origin="derived",
        )
        for target in targets
    ]


def succession_frame(kind: str | Kind = Kind.PROVINCE) -> pd.DataFrame:
    """The old→new links between units of one kind (province or commune) as a DataFrame, for roll-ups."""
    kind = Kind(kind)
    if kind not in (Kind.PROVINCE, Kind.COMMUNE):
        raise UnitsError(f"The succession map links provinces and communes, not {kind.value}s.")
    rows = [
        (
            link.from_code,
            link.to_code,
            link.partial,
            link.source_share,
            link.source_share_basis.value,
            link.target_share,
            link.target_share_basis.value,
            link.origin,
        )
        for link in links()
        if link.from_kind is kind and link.to_kind is kind
    ]
    frame = pd.DataFrame(rows, columns=LINK_FRAME_COLUMNS)
    # Unknown shares are None in the links; as floats they become NaN, which the roll-up tests for.
    return frame.astype({"partial": bool, "source_share": float, "target_share": float})
