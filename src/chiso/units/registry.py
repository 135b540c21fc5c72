"""The unit registry: official units of both eras plus the standard departments, read from package data.

Nothing is read at import time; the first call loads `data/units.csv.gz` once and caches it.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import gc
import gzip
import io
from collections.abc import Iterable, Iterator
from importlib import resources

from chiso.units.errors import UnknownEraError, UnknownKindError, UnknownUnitError
from chiso.units.schemas import Era, Kind, Unit
from chiso.units.text import fold

KIND_ORDER = {Kind.PROVINCE: 0, Kind.DISTRICT: 1, Kind.COMMUNE: 2, Kind.DEPARTMENT: 3}
# Type words that open a unit's name; a search for "thai nguyen" should rank "Tỉnh Thái Nguyên" as exact.
_TYPE_WORDS = sorted(
    (
        "tinh",
        "thanh pho",
        "huyen",
        "quan",
        "thi xa",
        "xa",
        "phuong",
        "thi tran",
        "dac khu",
        "so",
        "thanh tra",
        "van phong",
        "ban",
    ),
    key=len,
    reverse=True,
)


def data_file(name: str) -> bytes:
    return resources.files("chiso.units").joinpath("data").joinpath(name).read_bytes()


def parse_era(value: str | Era) -> Era:
    try:
        return Era(str(value))
    except ValueError:
        choices = ", ".join(e.value for e in Era)
        raise UnknownEraError(f"Unknown era {value!r}; use one of: {choices}.") from None


def parse_kind(value: str | Kind) -> Kind:
    try:
        return Kind(str(value))
    except ValueError:
        choices = ", ".join(k.value for k in Kind)
        raise UnknownKindError(f"Unknown kind {value!r}; use one of: {choices}.") from None


@functools.cache
def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Build many long-lived objects without the garbage collector: they are all kept, and its passes over
    a heap that grows by thousands of objects (a process that has imported pandas and DuckDB) cost as much
    as building them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def data_rows(name: str) -> tuple[dict[str, int], list[list[str]]]:
    """(column → position, rows) of a gzipped CSV in `data/`: plain lists, the fastest way csv gives them.

    Every measuring and ranking process reads the registry and the succession map first (25,000 rows);
    building objects from lists with lookups instead of `DictReader` and `Enum(...)` halves that start-up.
    """
    reader = csv.reader(io.StringIO(gzip.decompress(data_file(name)).decode("utf-8")))
    header = next(reader)
    with collector_paused():
        return {column: i for i, column in enumerate(header)}, list(reader)


ERAS = {era.value: era for era in Era}
KINDS = {kind.value: kind for kind in Kind}


@functools.cache
def official_units() -> tuple[Unit, ...]:
    """Provinces, districts and communes of both eras, as exported by tools/export_units.py."""
    at, rows = data_rows("units.csv.gz")
    era, code, kind, subtype, name, name_en, parent, province, valid_from, valid_to, origin = (
        at[c] for c in ("era", "code", "kind", "subtype", "name", "name_en", "parent_code", "province_code",
                        "valid_from", "valid_to", "origin")
    )  # fmt: skip
    with collector_paused():
        return tuple(
            Unit(
                era=ERAS[row[era]],
                code=row[code],
                kind=KINDS[row[kind]],
                subtype=row[subtype],
                name=row[name],
                name_en=row[name_en] or None,
                parent_code=row[parent] or None,
                province_code=row[province],
                valid_from=_date(row[valid_from]),
                valid_to=_date(row[valid_to]),
                origin=row[origin],
            )
            for row in rows
        )


@functools.cache
def all_units() -> tuple[Unit, ...]:
    """Official units and, under every 2025 province, its standard departments."""
    from chiso.units.departments import standard_departments

    provinces = [u for u in official_units() if u.kind is Kind.PROVINCE and u.era is Era.Y2025]
    departments = [d for p in provinces for d in standard_departments(p)]
    return official_units() + tuple(departments)


@functools.cache
def _by_key() -> dict[tuple[Era, str], Unit]:
    return {unit.key: unit for unit in all_units()}


@functools.cache
def _folded_names() -> tuple[tuple[str, str, str], ...]:
    """(folded name, folded name without its type word, folded English name) per unit, in order."""
    return tuple((fold(u.name), _strip_type_word(fold(u.name)), fold(u.name_en or "")) for u in all_units())


def _strip_type_word(folded: str) -> str:
    for word in _TYPE_WORDS:
        if folded.startswith(word + " "):
            return folded[len(word) + 1 :]
    return folded


def _code_candidates(code: str) -> list[str]:
    """The code as typed, then zero-padded to the widths official codes use (2, 3, 5 digits)."""
    code = code.strip()
    if not code.isdigit():
        return [code.upper()]
    return list(dict.fromkeys([code, code.zfill(2), code.zfill(3), code.zfill(5)]))


def find(code: str, *, era: str | Era | None = None) -> list[Unit]:
    """All units with this code, in one era or both. An exact code wins over a zero-padded one, so
    "19" is the province and "00019" the commune."""
    eras = [parse_era(era)] if era is not None else list(Era)
    index = _by_key()
    for candidate in _code_candidates(code):
        found = [index[(e, candidate)] for e in eras if (e, candidate) in index]
        if found:
            return found
    return []


def get(code: str, *, era: str | Era) -> Unit:
    """The unit with `code` in `era`; raises UnknownUnitError with a hint when there is none."""
    era = parse_era(era)
    found = find(code, era=era)
    if not found:
        hint = " Try `chiso units search NAME` to find its code."
        elsewhere = find(code)
        if elsewhere:
            other = elsewhere[0]
            hint = (
                f" In era {other.era.value}, {other.code} is {other.name} ({other.kind.value}):"
                f" `chiso units show {other.code} --era {other.era.value}`.{hint}"
            )
        raise UnknownUnitError(f"No unit with code {code} in era {era.value}.{hint}")
    return found[0]


def list_units(
    *,
    era: str | Era | None = None,
    kind: str | Kind | None = None,
    province: str | None = None,
    subtype: str | None = None,
    parent: str | None = None,
) -> list[Unit]:
    """Units matching every filter given, sorted by era, kind and code.

    `province` selects the units inside a province (not the province itself); it must be a province of
    the era(s) asked for, so a typo is an error rather than an empty list.
    """
    eras = {parse_era(era)} if era is not None else set(Era)
    kinds = {parse_kind(kind)} if kind is not None else set(Kind)
    if province is not None:
        matches = [u for u in find(province) if u.kind is Kind.PROVINCE and u.era in eras]
        if not matches:
            where = f"era {next(iter(eras)).value}" if len(eras) == 1 else "any era"
            raise UnknownUnitError(
                f"No province with code {province} in {where}; `chiso units list --kind province` lists them."
            )
        province = matches[0].code
    selected = [
        u
        for u in all_units()
        if u.era in eras
        and u.kind in kinds
        and (province is None or (u.province_code == province and u.kind is not Kind.PROVINCE))
        and (subtype is None or u.subtype == subtype)
        and (parent is None or u.parent_code == parent)
    ]
    return sort_units(selected)


def sort_units(units: Iterable[Unit]) -> list[Unit]:
    return sorted(units, key=lambda u: (u.era.value, KIND_ORDER[u.kind], u.code))


def children(unit: Unit) -> list[Unit]:
    return sort_units(u for u in all_units() if u.era is unit.era and u.parent_code == unit.code and u != unit)


def parent(unit: Unit) -> Unit | None:
    if unit.parent_code is None:
        return None
    return _by_key().get((unit.era, unit.parent_code))


def search(
    text: str,
    *,
    era: str | Era | None = None,
    kind: str | Kind | None = None,
    limit: int | None = None,
) -> list[Unit]:
    """Units whose Vietnamese or English name contains `text`, ignoring accents and case.

    Exact names come first ("thai nguyen" → the provinces Thái Nguyên of both eras), then names that
    start with the text, then whole-word and other matches; within a class, provinces before districts
    before communes, newer era first.
    """
    query = fold(text)
    if not query:
        return []
    eras = {parse_era(era)} if era is not None else set(Era)
    kinds = {parse_kind(kind)} if kind is not None else set(Kind)
    padded = f" {query} "
    scored = []
    for unit, (name, bare, english) in zip(all_units(), _folded_names(), strict=True):
        if unit.era not in eras or unit.kind not in kinds:
            continue
        if query in (name, bare, english) or query == unit.code.lower():
            rank = 0
        elif bare.startswith(query) or english.startswith(query):
            rank = 1
        elif padded in f" {name} " or padded in f" {english} ":
            rank = 2
        elif query in name or query in english:
            rank = 3
        else:
            continue
        scored.append(((rank, KIND_ORDER[unit.kind], -int(unit.era.value), unit.code), unit))
    scored.sort(key=lambda pair: pair[0])
    found = [unit for _, unit in scored]
    return found[:limit] if limit is not None else found
