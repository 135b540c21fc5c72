"""A unit is (era, code): an `era` column on value and result_row, part of their unique keys.

Codes are reused across the 2025 reorganisation (00004 is Phường Trúc Bạch in era 2024, Phường Ba
Đình in era 2025), so values and result rows are keyed by (era, code). The rows already stored get
the era they were known by:

- national values, whose period said the era (`2022@2024`): era 2024, period `2022`;
- values whose lineage names it (`unit_era` of measured values, `era` of imported national figures);
- values of a unit in a collection period's scope (period = the collection period's value period):
  that collection period's era;
- anything else: era 2025, the current units (the only era Chiso collected in before this revision);
- result rows: the era of their run's collection period.

Downgrade puts the national `year@era` periods back and drops the columns; it refuses when two eras
hold the same (code, variable, period, version), which the old key cannot tell apart.

Revision ID: 0004_unit_era
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004_unit_era"
down_revision = "0003"
branch_labels = None
depends_on = None

ERAS = ("2024", "2025")
CURRENT_ERA = "2025"
CHUNK = 500


def _national(period: str) -> tuple[str, str] | None:
    # The national view's old period key: "YEAR@ERA".
    year, at, era = period.partition("@")
    return (year, era) if at and year.isdigit() and era in ERAS else None


def _lineage_era(raw: Any) -> str | None:
    lineage = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(lineage, dict):
        return None
    era = lineage.get("unit_era") or lineage.get("era")
    return str(era) if str(era) in ERAS else None


def _fill_value_eras(bind: sa.Connection) -> None:
    value = sa.table(
        "value",
        sa.column("id", sa.Integer),
        sa.column("era", sa.String),
        sa.column("period", sa.String),
        sa.column("lineage", sa.JSON),
    )
    for (period,) in bind.execute(sa.select(value.c.period).where(value.c.period.like("%@%")).distinct()).all():
        found = _national(period)
        if found is not None:
            year, era = found
            bind.execute(sa.update(value).where(value.c.period == period).values(era=era, period=year))
    by_era: dict[str, list[int]] = defaultdict(list)
    rows = bind.execute(
        sa.select(value.c.id, value.c.lineage).where(value.c.era.is_(None), value.c.lineage.isnot(None))
    )
    for row_id, lineage in rows.all():
        named = _lineage_era(lineage)
        if named is not None:
            by_era[named].append(row_id)
    for named, ids in by_era.items():
        for start in range(0, len(ids), CHUNK):
            bind.execute(sa.update(value).where(value.c.id.in_(ids[start : start + CHUNK])).values(era=named))
    bind.execute(
        sa.text(
            "UPDATE value SET era = (SELECT cp.era FROM collection_period cp JOIN submission s ON s.period_id = cp.id"
            " WHERE cp.value_period = value.period AND s.unit_code = value.unit_code ORDER BY cp.id DESC LIMIT 1)"
            " WHERE era IS NULL"
        )
    )
    bind.execute(sa.update(value).where(value.c.era.is_(None)).values(era=CURRENT_ERA))


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("value") as batch:
        batch.add_column(sa.Column("era", sa.String(length=8), nullable=True))
    _fill_value_eras(bind)
    op.drop_index("ix_value_period_unit", table_name="value")
    with op.batch_alter_table("value") as batch:
        batch.alter_column("era", existing_type=sa.String(length=8), nullable=False)
        batch.drop_constraint("uq_value_unit_code_variable_period_version", type_="unique")
        batch.create_unique_constraint(
            "uq_value_era_unit_code_variable_period_version", ["era", "unit_code", "variable", "period", "version"]
        )
    op.create_index("ix_value_period_unit", "value", ["period", "era", "unit_code"], unique=False)

    with op.batch_alter_table("result_row") as batch:
        batch.add_column(sa.Column("era", sa.String(length=8), nullable=True))
    bind.execute(
        sa.text(
            "UPDATE result_row SET era = (SELECT cp.era FROM result_run r"
            " JOIN collection_period cp ON cp.id = r.period_id WHERE r.id = result_row.run_id)"
        )
    )
    bind.execute(sa.text("UPDATE result_row SET era = :era WHERE era IS NULL"), {"era": CURRENT_ERA})
    with op.batch_alter_table("result_row") as batch:
        batch.alter_column("era", existing_type=sa.String(length=8), nullable=False)
        batch.drop_constraint("uq_result_row_run_id_unit_code_node", type_="unique")
        batch.create_unique_constraint(
            "uq_result_row_run_id_era_unit_code_node", ["run_id", "era", "unit_code", "node"]
        )


def _refuse_collisions(bind: sa.Connection, table: str, columns: str) -> None:
    clash = bind.execute(
        sa.text(f"SELECT {columns} FROM {table} GROUP BY {columns} HAVING COUNT(DISTINCT era) > 1")
    ).first()
    if clash is not None:
        raise RuntimeError(
            f"cannot downgrade: {table} holds the same {columns} ({', '.join(map(str, clash))}) in two eras, "
            "which the key without the era cannot tell apart; remove one of them first"
        )


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("result_row") as batch:
        batch.drop_constraint("uq_result_row_run_id_era_unit_code_node", type_="unique")
    _refuse_collisions(bind, "result_row", "run_id, unit_code, node")
    with op.batch_alter_table("result_row") as batch:
        batch.create_unique_constraint("uq_result_row_run_id_unit_code_node", ["run_id", "unit_code", "node"])
        batch.drop_column("era")

    # National figures (imported with their era and year in the lineage) go back to `YEAR@ERA` periods.
    value = sa.table(
        "value",
        sa.column("id", sa.Integer),
        sa.column("era", sa.String),
        sa.column("period", sa.String),
        sa.column("source", sa.String),
        sa.column("lineage", sa.JSON),
    )
    national: dict[str, list[int]] = defaultdict(list)
    rows = bind.execute(
        sa.select(value.c.id, value.c.era, value.c.period, value.c.lineage).where(value.c.source == "imported")
    )
    for row_id, era, period, raw in rows.all():
        lineage = json.loads(raw) if isinstance(raw, str) else raw
        if isinstance(lineage, dict) and lineage.get("era") == era and str(lineage.get("year")) == period:
            national[f"{period}@{era}"].append(row_id)
    for period, ids in national.items():
        for start in range(0, len(ids), CHUNK):
            bind.execute(sa.update(value).where(value.c.id.in_(ids[start : start + CHUNK])).values(period=period))
    op.drop_index("ix_value_period_unit", table_name="value")
    with op.batch_alter_table("value") as batch:
        batch.drop_constraint("uq_value_era_unit_code_variable_period_version", type_="unique")
    _refuse_collisions(bind, "value", "unit_code, variable, period, version")
    with op.batch_alter_table("value") as batch:
        batch.create_unique_constraint(
            "uq_value_unit_code_variable_period_version", ["unit_code", "variable", "period", "version"]
        )
        batch.drop_column("era")
    op.create_index("ix_value_period_unit", "value", ["period", "unit_code"], unique=False)
