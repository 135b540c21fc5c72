"""Simulated source records for one province: deterministic (seeded), realistic in shape, marked simulated.

Volumes follow a simulated population (Chiso ships no commune populations: each old commune gets one
drawn from its code, wards larger than rural communes, about 5,900 people on average, so the 280 old
communes of Thái Nguyên and Bắc Kạn hold about 1.65 million). Dossiers: about 0.4 a person a year; documents: about
800,000 a quarter for Thái Nguyên at scale 1. Shares move over the years the way the programme hopes:
more fully online dossiers, fewer late ones, more online payment, more digitisation and signing.
Records dated before 1/7/2025 carry the old (2024) units — communes, districts and the old provinces at
provincial level —, later ones the 2025 communes and the province's departments. Every record has
`simulated: true`.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from chiso import units
from chiso.sources.lake import atomic_write
from chiso.sources.schemas import UPDATED_AT, get_source
from chiso.sources.unitmap import whole_links
from chiso.units.schemas import Era, Kind, Unit
from chiso.units.succession import links

SOURCES = ("dossiers", "documents", "staff", "procedures")
FORMATS = {"parquet": ".parquet", "csv": ".csv", "jsonl": ".jsonl"}
BREAK = dt.datetime(2025, 7, 1)
DOSSIERS_PER_PERSON = {"commune": 0.30, "district": 0.06, "province": 0.04}
DOCUMENTS_PER_QUARTER = 800_000 / 1_640_000  # per person, so that Thái Nguyên gets ~800,000 a quarter
DOCUMENT_SHARE = {"province": 0.45, "district": 0.20, "commune": 0.35}
STAFF = {"province": 120, "department": 60, "district": 90}
PROCEDURE_CODES = range(1000, 1200)  # the province's catalogue: the codes its dossiers carry (1.001000 …)
FIELDS = ("Hộ tịch", "Đất đai", "Đầu tư", "Xây dựng", "Giáo dục", "Y tế", "Lao động", "Tư pháp")


@dataclass(frozen=True)
class Plan:
    province: str
    years: tuple[int, ...]
    seed: int = 19
    scale: float = 1.0
    sources: tuple[str, ...] = SOURCES
    format: str = "parquet"


@dataclass(frozen=True)
class Written:
    source: str
    year: int
    path: Path
    records: int


def _stable(code: str, seed: int) -> float:
    """A number in [0, 1) fixed by a unit code and the seed."""
    return (zlib.crc32(f"{seed}:{code}".encode()) % 1_000_003) / 1_000_003


def _population(unit: Unit, seed: int) -> float:
    urban = unit.subtype in ("phuong", "thi_tran")
    base = 9_300 if urban else 4_650
    return base * float(np.exp(0.45 * (_stable(unit.code, seed) - 0.5) * 2))


@dataclass(frozen=True)
class Units:
    """The units that issue records in one era, with their level and (simulated) population."""

    codes: np.ndarray
    levels: np.ndarray  # province, district, commune (departments are at provincial level)
    kinds: np.ndarray
    population: np.ndarray
    staff: tuple[tuple[str, ...], ...] = ()  # the officials of each unit (ids kept across the break)


def _era_units(province: str, era: Era, seed: int) -> Units:
    new = units.get(province, era=Era.Y2025)
    old = sorted(link.from_code for link in links() if link.from_kind is Kind.PROVINCE and link.to_code == new.code)
    old_communes = [u for p in old for u in units.list_units(era="2024", kind="commune", province=p)]
    old_pop = {u.code: _population(u, seed) for u in old_communes}
    rows: list[tuple[str, str, str, float]] = []
    if era is Era.Y2024:
        for p in old:
            communes = [u for u in old_communes if u.province_code == p]
            total = sum(old_pop[u.code] for u in communes)
            rows.append((p, "province", "province", total))
            for d in units.list_units(era="2024", kind="district", province=p):
                pop = sum(old_pop[u.code] for u in communes if u.parent_code == d.code)
                rows.append((d.code, "district", "district", pop))
            rows += [(u.code, "commune", "commune", old_pop[u.code]) for u in communes]
    else:
        shares: dict[str, float] = {}
        targets: dict[str, list[str]] = {}
        for link in links():
            if link.from_kind is Kind.COMMUNE and link.from_code in old_pop:
                targets.setdefault(link.from_code, []).append(link.to_code)
        for code, found in targets.items():
            for to in found:
                shares[to] = shares.get(to, 0.0) + old_pop[code] / len(found)
        communes = units.list_units(era="2025", kind="commune", province=new.code)
        total = sum(old_pop.values())
        departments = units.list_units(era="2025", kind="department", province=new.code)
        rows.append((new.code, "province", "province", total / (len(departments) + 1)))
        rows += [(d.code, "province", "department", total / (len(departments) + 1)) for d in departments]
        rows += [(u.code, "commune", "commune", shares.get(u.code, 5_900.0)) for u in communes]
    codes, levels, kinds, pops = zip(*rows, strict=True)
    return Units(np.array(codes), np.array(levels), np.array(kinds), np.array(pops, dtype=float))


def _months(year: int) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    for month in range(1, 13):
        start = dt.datetime(year, month, 1)
        end = dt.datetime(year + (month == 12), month % 12 + 1, 1)
        yield start, end


def _progress(when: dt.datetime) -> float:
    """0 at the start of 2021, 1 at the end of 2025: how far the programme has come."""
    return float(np.clip((when - dt.datetime(2021, 1, 1)).days / 1826, 0.0, 1.2))


def _share(rng: np.random.Generator, n: int, low: float, high: float, t: float, spread: np.ndarray) -> np.ndarray:
    p = np.clip(low + (high - low) * t + spread, 0.0, 1.0)
    return rng.random(n) < p


def _times(rng: np.random.Generator, start: dt.datetime, end: dt.datetime, n: int) -> np.ndarray:
    seconds = int((end - start).total_seconds())
    days = rng.integers(0, seconds // 86_400, n)
    within = rng.integers(7 * 3600, 17 * 3600, n)
    return np.datetime64(start, "s") + (days * 86_400 + within).astype("timedelta64[s]")


def _ids(prefix: str, start: int, n: int) -> pa.Array:
    numbers = pc.utf8_lpad(pc.cast(pa.array(np.arange(start, start + n)), pa.string()), 8, "0")
    return pc.binary_join_element_wise(prefix, numbers, "")


def _dossiers(
    rng: np.random.Generator, era_units: Units, start: dt.datetime, end: dt.datetime, plan: Plan, seq: int
) -> pa.Table:
    t = _progress(start)
    rate = np.array([DOSSIERS_PER_PERSON[level] for level in era_units.levels])
    if start >= BREAK:  # district procedures moved to the communes
        rate = np.where(era_units.levels == "commune", rate + 0.05, rate)
    counts = rng.poisson(era_units.population * rate * plan.scale / 12)
    unit_index = np.repeat(np.arange(len(counts)), counts)
    n = len(unit_index)
    effect = np.array([(_stable(c, plan.seed) - 0.5) * 0.3 for c in era_units.codes])[unit_index]
    level = era_units.levels[unit_index]
    received = _times(rng, start, end, n)
    full = _share(rng, n, 0.08, 0.62, t, effect + np.where(level == "commune", -0.05, 0.05))
    partial = ~full & (rng.random(n) < 0.35)
    mode = np.where(full, "full_online", np.where(partial, "partial_online", "offline"))
    channel = np.where(full, "online", np.where(partial & (rng.random(n) < 0.7), "online", "counter"))
    channel = np.where((channel == "counter") & (rng.random(n) < 0.08), "postal", channel)
    before_decree = received < np.datetime64("2022-08-01")
    level4 = np.where(full, 4, np.where(partial, 3, rng.choice([1, 2], n)))
    no_deadline = rng.random(n) < 0.15
    days = rng.choice([1, 3, 5, 7, 10, 15, 20], n)
    due = received + (days * 86_400).astype("timedelta64[s]")
    late = _share(rng, n, 0.12, 0.03, t, -effect * 0.2)
    early = (rng.random(n) * days * 86_400).astype("timedelta64[s]")
    overdue = (rng.integers(1, 16, n) * 86_400).astype("timedelta64[s]")
    resolved = np.where(no_deadline, received + np.timedelta64(2, "h"), np.where(late, due + overdue, received + early))
    open_ = (rng.random(n) < 0.015) | (resolved >= np.datetime64(plan_end(plan), "s"))
    rejected = ~open_ & (rng.random(n) < 0.03)
    withdrawn = ~open_ & ~rejected & (rng.random(n) < 0.015)
    status = np.where(open_, "processing", np.where(rejected, "rejected", np.where(withdrawn, "withdrawn", "resolved")))
    resolved_ok = (status == "resolved") | (status == "rejected")
    fee = rng.random(n) < 0.4
    paid = _share(rng, n, 0.05, 0.65, t, effect)
    delivery = np.where(full & (rng.random(n) < 0.7), "online", np.where(rng.random(n) < 0.1, "postal", "counter"))
    rated = rng.random(n) < 0.3
    rating = rng.choice([1, 2, 3, 4, 5], n, p=[0.02, 0.03, 0.1, 0.35, 0.5])
    columns = {
        "id": _ids(f"HS-{plan.province}-{start:%Y%m}-", seq, n),
        "procedure_code": pc.binary_join_element_wise(
            "1.00", pc.cast(pa.array(rng.integers(1000, 1200, n)), pa.string()), ""
        ),
        "receiving_unit": pa.array(era_units.codes[unit_index]),
        "level": pa.array(level),
        "service_mode": pa.array(mode, mask=before_decree),
        "service_level": pa.array(level4, mask=~before_decree),
        "channel": pa.array(channel),
        "received_at": pa.array(received.astype("datetime64[us]")),
        "due_at": pa.array(due.astype("datetime64[us]"), mask=no_deadline),
        "resolved_at": pa.array(resolved.astype("datetime64[us]"), mask=~resolved_ok),
        "status": pa.array(status),
        "paid_online": pa.array(paid, mask=~fee),
        "result_delivery": pa.array(delivery, mask=~resolved_ok),
        "digitised": pa.array(_share(rng, n, 0.2, 0.88, t, effect)),
        "satisfaction": pa.array(rating, mask=~rated),
        **_dossier_766(start, plan, full, resolved_ok, effect),
        "simulated": pa.array(np.ones(n, dtype=bool)),
    }
    return pa.table(columns)


def _dossier_766(
    start: dt.datetime, plan: Plan, full: np.ndarray, resolved_ok: np.ndarray, effect: np.ndarray
) -> dict[str, pa.Array]:
    """The fields Decision 766 reads (sync, eligibility, electronic result, data reuse).

    Drawn from their own generator, so that the other fields are what they were before these existed.
    """
    rng = np.random.default_rng([plan.seed, start.year, start.month, 766])
    t, n = _progress(start), len(full)
    return {
        "synced_national": pa.array(_share(rng, n, 0.6, 0.99, t, effect / 2)),
        "full_online_eligible": pa.array(full | (rng.random(n) < 0.25 + 0.35 * t)),
        "result_electronic": pa.array(_share(rng, n, 0.1, 0.85, t, effect), mask=~resolved_ok),
        "reused_data": pa.array(_share(rng, n, 0.02, 0.55, t, effect)),
    }


def plan_end(plan: Plan) -> dt.datetime:
    return dt.datetime(max(plan.years) + 1, 1, 1)


def _documents(
    rng: np.random.Generator, era_units: Units, start: dt.datetime, end: dt.datetime, plan: Plan, seq: int
) -> pa.Table:
    t = _progress(start)
    total_pop = era_units.population[era_units.levels == "commune"].sum()
    weights = np.zeros(len(era_units.codes))
    for unit_level, share in DOCUMENT_SHARE.items():
        mask = era_units.levels == unit_level
        if start >= BREAK and unit_level == "commune":
            share += DOCUMENT_SHARE["district"]
        if mask.any():
            weights[mask] = share * era_units.population[mask] / era_units.population[mask].sum()
    counts = rng.poisson(weights * total_pop * DOCUMENTS_PER_QUARTER / 3 * plan.scale)
    unit_index = np.repeat(np.arange(len(counts)), counts)
    n = len(unit_index)
    level = era_units.levels[unit_index]
    bonus = np.where(level == "province", 0.08, np.where(level == "district", 0.0, -0.08))
    electronic = _share(rng, n, 0.85, 0.99, t, bonus / 2)
    signed = electronic & _share(rng, n, 0.6, 0.97, t, bonus)
    in_record = rng.random(n) < 0.65
    per_unit = np.maximum(counts // 4, 1)
    record_no = (rng.random(n) * per_unit[unit_index]).astype(np.int64)
    codes = era_units.codes[unit_index]
    record_ids = pc.binary_join_element_wise(
        "HSCV-",
        pa.array(codes),
        f"-{start.year}{'b' if start >= BREAK else 'a'}-",
        pc.cast(pa.array(record_no), pa.string()),
        "",
    )
    target = {"province": (0.7, 0.95), "district": (0.55, 0.85), "commune": (0.3, 0.72)}
    # One draw per work record, the same for all its documents: a low-discrepancy sequence over its number.
    offset = np.array([_stable(c, plan.seed) for c in era_units.codes])[unit_index]
    record_hash = np.modf(record_no * 0.6180339887 + offset)[0]
    low = np.array([target[x][0] for x in level])
    high = np.array([target[x][1] for x in level])
    record_electronic = record_hash < np.clip(low + (high - low) * t, 0, 1)
    recipients = era_units.codes[rng.integers(0, len(era_units.codes), (n, 2))]
    columns = {
        "id": _ids(f"VB-{plan.province}-{start:%Y%m}-", seq, n),
        "sender_unit": pa.array(codes),
        "recipient_units": pa.ListArray.from_arrays(
            pa.array(np.arange(0, 2 * n + 1, 2, dtype=np.int32)), pa.array(recipients.reshape(-1))
        ),
        "sent_at": pa.array(_times(rng, start, end, n).astype("datetime64[us]")),
        "electronic": pa.array(electronic),
        "signed": pa.array(signed),
        "kind": pa.array(
            rng.choice(
                ["letter", "decision", "report", "plan", "notice", "invitation", "other"],
                n,
                p=[0.45, 0.12, 0.15, 0.06, 0.1, 0.1, 0.02],
            )
        ),
        "confidential": pa.array(rng.random(n) < 0.01),
        "work_record_id": pa.array(record_ids.to_numpy(zero_copy_only=False), mask=~in_record),
        "work_record_electronic": pa.array(record_electronic, mask=~in_record),
        "simulated": pa.array(np.ones(n, dtype=bool)),
    }
    return pa.table(columns)


def _with_staff(old: Units, new: Units) -> tuple[Units, Units]:
    """Officials of each unit; a new commune keeps the officials of the old communes merged into it."""

    def size(kind: str, population: float) -> int:
        return STAFF.get(kind, 0) or int(12 + population / 700)

    old_ids = {
        c: tuple(f"CB-{c}-{k}" for k in range(size(kind, p)))
        for c, kind, p in zip(old.codes, old.kinds, old.population, strict=True)
    }
    mapping, _ = whole_links()
    merged: dict[str, list[str]] = {}
    for code, to in mapping.items():
        merged.setdefault(to, []).extend(old_ids.get(code, ()))
    new_ids = []
    for c, kind, p in zip(new.codes, new.kinds, new.population, strict=True):
        wanted = size(kind, p)
        carried = merged.get(c, [])[:wanted] if kind == "commune" else []
        new_ids.append(tuple(carried) + tuple(f"CB-{c}-{k}" for k in range(wanted - len(carried))))
    return replace(old, staff=tuple(old_ids.values())), replace(new, staff=tuple(new_ids))


def _staff(
    rng: np.random.Generator, era_units: Units, start: dt.datetime, end: dt.datetime, plan: Plan, seq: int
) -> pa.Table:
    t = _progress(start)
    sizes = np.array([len(ids) for ids in era_units.staff])
    unit_index = np.repeat(np.arange(len(sizes)), sizes)
    n = len(unit_index)
    codes = era_units.codes[unit_index]
    officials = pa.array([i for ids in era_units.staff for i in ids], pa.string())
    # One draw per official, kept from month to month: who has an account and uses it changes slowly.
    draw = np.modf(np.arange(n) * 0.6180339887 + 0.1)[0]
    account = draw < 0.8 + 0.19 * t
    active = draw < (0.8 + 0.19 * t) * (0.5 + 0.45 * t)
    as_of = np.datetime64(end - dt.timedelta(days=1), "us")
    return pa.table(
        {
            "id": pc.binary_join_element_wise(officials, f"-{start:%Y%m}", ""),
            "unit": pa.array(codes),
            "official_id": officials,
            "as_of": pa.array(np.full(n, as_of)),
            "has_account": pa.array(account),
            "documents_processed": pa.array(np.where(active, rng.poisson(25, n) + 1, 0)),
            "simulated": pa.array(np.ones(n, dtype=bool)),
        }
    )


def _procedures(
    rng: np.random.Generator, era_units: Units, start: dt.datetime, end: dt.datetime, plan: Plan, seq: int
) -> pa.Table:
    """The province's catalogue of procedures as read at the end of the month: one line per procedure.

    Each procedure keeps its level, field and fee; it is amended (published again) every 16–34 months,
    and its online service, payment and the punctuality of its publication improve with the programme.
    """
    t = _progress(start)
    month_end = end - dt.timedelta(days=1)
    provinces = era_units.codes[era_units.kinds == "province"]
    departments = era_units.codes[era_units.kinds == "department"]
    rows: dict[str, list[object]] = {name: [] for name in _PROCEDURE_FIELDS}
    for province in provinces:
        for number in PROCEDURE_CODES:
            code = f"1.00{number}"

            def draw(what: str, code: str = code, province: str = province) -> float:
                return _stable(f"{province}:{code}:{what}", plan.seed)

            level = "commune" if draw("level") < 0.45 else "province"
            if level == "commune" and draw("district") < 0.2 and start < BREAK:
                level = "district"
            authority = (
                departments[int(draw("dept") * len(departments))]
                if level == "province" and len(departments)
                else province
            )
            cycle = 16 + int(draw("cycle") * 19)  # months between amendments
            months = (start.year - 2015) * 12 + start.month - 1
            amended = months - (months + int(draw("phase") * cycle)) % cycle
            published = dt.datetime(2015 + amended // 12, amended % 12 + 1, 1 + int(draw("day") * 27), 9)
            when = _progress(published)
            on_time = draw(f"ontime{amended}") < 0.7 + 0.28 * when
            disclosed_on_time = draw(f"disclosed{amended}") < 0.75 + 0.24 * when
            eligible = draw("eligible") < 0.55
            fee = draw("fee") < 0.35
            full = eligible and draw("full") < 0.15 + 0.8 * t
            partial = not full and draw("partial") < 0.4 + 0.5 * t
            rows["id"].append(f"TTHC-{province}-{code}-{authority}-{start:%Y%m}")
            rows["code"].append(code)
            rows["name"].append(f"Thủ tục {code} [mô phỏng]")
            rows["authority"].append(authority)
            rows["level"].append(level)
            rows["field"].append(FIELDS[int(draw("field") * len(FIELDS))])
            rows["as_of"].append(month_end)
            rows["online_mode"].append("full_online" if full else "partial_online" if partial else "offline")
            rows["full_online_eligible"].append(eligible)
            rows["has_fee"].append(fee)
            rows["payment_online"].append((draw("pay") < 0.2 + 0.75 * t) if fee else None)
            rows["published_at"].append(published)
            rows["publish_due_at"].append(published + dt.timedelta(days=3 if on_time else -4))
            rows["disclosed_at"].append(published + dt.timedelta(days=2 if disclosed_on_time else 11))
            rows["disclose_due_at"].append(published + dt.timedelta(days=7))
            rows["content_complete"].append(draw(f"complete{start.year}") < 0.85 + 0.14 * t)
            rows["synced_national"].append(draw(f"synced{start.year}") < 0.8 + 0.19 * t)
            rows["simulated"].append(True)
    return pa.table(rows)


_PROCEDURE_FIELDS = [f.name for f in get_source("procedures").fields if f.name != UPDATED_AT]
GENERATORS = {"dossiers": _dossiers, "documents": _documents, "staff": _staff, "procedures": _procedures}


def simulate(plan: Plan, out_dir: Path) -> list[Written]:
    """Write one file per source and year (`<source>-<province>-<year>.<format>`), atomically."""
    if plan.format not in FORMATS:
        raise ValueError(f"unknown format {plan.format!r}; use one of {', '.join(FORMATS)}")
    old, new = _with_staff(
        _era_units(plan.province, Era.Y2024, plan.seed), _era_units(plan.province, Era.Y2025, plan.seed)
    )
    eras = {Era.Y2024: old, Era.Y2025: new}
    written = []
    for source in plan.sources:
        schema = get_source(source).arrow_schema()
        # One version per record, so no `updated_at`: it is valid from the start (docs/sources.md, history).
        fields = [f.name for f in get_source(source).fields if f.name != UPDATED_AT]
        for year in plan.years:
            path = out_dir / f"{source}-{plan.province}-{year}{FORMATS[plan.format]}"
            rng = np.random.default_rng([plan.seed, year, SOURCES.index(source)])

            target = pa.schema([schema.field(f) for f in fields])

            def tables(
                year: int = year, source: str = source, rng: np.random.Generator = rng, target: pa.Schema = target
            ) -> Iterator[pa.Table]:
                seq = 1
                for start, end in _months(year):
                    era = Era.Y2024 if start < BREAK else Era.Y2025
                    table = GENERATORS[source](rng, eras[era], start, end, plan, seq)
                    seq += table.num_rows
                    yield table.cast(target)

            count = _write(path, tables(), plan.format)
            written.append(Written(source, year, path, count))
    return written


def _write(path: Path, tables: Iterator[pa.Table], fmt: str) -> int:
    count = 0

    def write(tmp: Path) -> None:
        nonlocal count
        if fmt == "parquet":
            writer: pq.ParquetWriter | None = None
            for table in tables:
                writer = writer or pq.ParquetWriter(tmp, table.schema, compression="zstd")
                writer.write_table(table)
                count += table.num_rows
            if writer is not None:
                writer.close()
            return
        with tmp.open("w", encoding="utf-8") as handle:
            first = True
            for table in tables:
                count += table.num_rows
                if fmt == "csv":
                    _csv_chunk(handle, table, header=first)
                else:
                    handle.writelines(
                        json.dumps(row, default=str, ensure_ascii=False) + "\n" for row in table.to_pylist()
                    )
                first = False

    atomic_write(path, write)
    return count


def _csv_chunk(handle, table: pa.Table, *, header: bool) -> None:  # type: ignore[no-untyped-def]
    for i, name in enumerate(table.column_names):
        column = table.column(i)
        if pa.types.is_list(column.type):
            table = table.set_column(i, name, pc.binary_join(column, ";"))
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=header))
    handle.write(sink.getvalue().to_pybytes().decode("utf-8"))
