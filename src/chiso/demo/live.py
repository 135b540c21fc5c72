"""The demo's "live" dossiers: the portal's feed of the last weeks, so that early warning has work to show.

The simulated years leave some dossiers open for good (the simulator keeps about 1.5 % in
processing, and those whose resolution would fall after the last simulated year). A real portal sends
each dossier again when it is resolved: the feed does the same — a new version of every dossier open
for more than `STALE_DAYS`, resolved in the last `STALE_DAYS` and sent now (the backlog cleared: a
version dated by the feed, after the one it replaces, so the simulated years measured as of their end
keep their figures) — and adds the dossiers of the
last weeks, received by the province's communes and departments, some resolved, some still open with
deadlines from a few working days ago to two weeks ahead. Every record is `simulated`, seeded, dated
from the demo's clock; ingested like any file (a second build the same day adds nothing).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

from chiso import units
from chiso.sources.ingest import ingest_file
from chiso.sources.lake import Lake, atomic_write
from chiso.sources.warning import open_dossiers

STALE_DAYS = 30
RECENT_DAYS = 20
PER_UNIT = (2, 9)  # dossiers received per unit in the last RECENT_DAYS (low, high)
LAKE_COLUMNS = ("unit_era", "unit_kind", "province", "_ingest", "_row", "_valid_from", "_ingested_at", "_hash")


def feed(lake: Lake, *, province: str, now: dt.datetime, seed: int) -> int:
    """Write and ingest the feed as of `now` (local time); the number of versions added."""
    rng = np.random.default_rng([seed, now.toordinal()])
    records = [*_resolved_stale(lake, now, rng), *_recent(province, now, rng)]
    if not records:
        return 0
    path = lake.root / "incoming" / "demo" / f"dossiers-live-{now:%Y%m%d}.jsonl"
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return ingest_file(Path(path), "dossiers", lake=lake).added


def _resolved_stale(lake: Lake, now: dt.datetime, rng: np.random.Generator) -> list[dict[str, object]]:
    stale = open_dossiers(lake, at=now)
    stale = stale[stale["received_at"] < now - dt.timedelta(days=STALE_DAYS)]
    if stale.empty:
        return []
    import duckdb

    wanted = stale["id"].tolist()
    parts = [str(p) for p in lake.parts("dossiers")]
    con = duckdb.connect()
    try:
        cursor = con.execute(
            f"""SELECT * EXCLUDE ({", ".join(LAKE_COLUMNS)}) FROM read_parquet({parts!r})
                WHERE id IN (SELECT unnest($ids))
                QUALIFY ROW_NUMBER() OVER (
                    PARTITION BY id ORDER BY _valid_from DESC, _ingested_at DESC, _ingest DESC, _row DESC) = 1""",
            {"ids": wanted},
        )
        names = [d[0] for d in cursor.description]
        current = cursor.fetchall()
    finally:
        con.close()
    out = []
    for row in current:
        record = dict(zip(names, row, strict=True))
        resolved = now - dt.timedelta(hours=float(rng.uniform(1, 24 * STALE_DAYS)))
        out.append(
            {
                **{k: _json(v) for k, v in record.items()},
                "status": "resolved",
                "resolved_at": _json(resolved),
                "result_delivery": record.get("result_delivery") or "counter",
                # sent now: a version starts when the system sends it, after the one it replaces
                "updated_at": _json(now),
                "simulated": True,
            }
        )
    return out


def _recent(province: str, now: dt.datetime, rng: np.random.Generator) -> list[dict[str, object]]:
    receivers = [
        *units.list_units(era="2025", kind="commune", province=province),
        *units.list_units(era="2025", kind="department", province=province),
    ]
    out: list[dict[str, object]] = []
    for unit in receivers:
        for n in range(int(rng.integers(*PER_UNIT))):
            received = now - dt.timedelta(days=float(rng.uniform(0.2, RECENT_DAYS)))
            received = received.replace(hour=int(rng.integers(7, 17)), microsecond=0)
            if received >= now:
                received -= dt.timedelta(days=1)
            due = received + dt.timedelta(days=int(rng.choice([3, 5, 7, 10, 15, 20])))
            resolved = received + dt.timedelta(days=float(rng.uniform(0.5, 12)))
            done = resolved < now and rng.random() < 0.7
            full = rng.random() < 0.55
            level = "commune" if unit.kind.value == "commune" else "province"
            record: dict[str, object] = {
                "id": f"HS-{province}-LIVE-{unit.code}-{received:%Y%m%d}-{n}",
                "procedure_code": f"1.00{int(rng.integers(1000, 1200))}",
                "receiving_unit": unit.code,
                "level": level,
                "service_mode": "full_online" if full else "partial_online",
                "channel": "online",
                "received_at": _json(received),
                "due_at": _json(due),
                "status": "resolved" if done else "processing",
                "digitised": bool(rng.random() < 0.9),
                "updated_at": _json(resolved if done else received),
                "simulated": True,
            }
            if done:
                record.update(resolved_at=_json(resolved), result_delivery="online" if full else "counter")
            out.append(record)
    return out


def _json(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(timespec="seconds")
    if isinstance(value, np.generic):
        return value.item()
    return value
