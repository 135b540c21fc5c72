"""A source schema compiled to one DuckDB query that types and checks a batch of records.

The query reads a registered Arrow batch named `batch` (columns as the file gave them: text from CSV
and JSON Lines, typed from Parquet, plus `_row`) and the table `units` (__u_era, __u_code, __u_kind, __u_province). It
returns every field with its schema type, the derived columns, `_reason` (empty when the record is
valid; otherwise every problem, separated by "; ") and `_record` (the record as read, as JSON, for
the quarantine).
"""

from __future__ import annotations

import pyarrow as pa
import sqlglot.expressions as exp

from chiso.sources.conditions import Condition, compile_condition
from chiso.sources.schemas import SQL_TYPES, FieldType, Source, SourceField

REORGANISATION = "2025-07-01"
ERA_OF = "CASE WHEN {t} < TIMESTAMP '" + REORGANISATION + "' THEN '2024' ELSE '2025' END"


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def v(name: str) -> str:
    """The typed value of a field."""
    return q(f"{name}__v")


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _raw(field: SourceField, batch_type: pa.DataType | None) -> str:
    if batch_type is None:
        return "NULL"
    if pa.types.is_string(batch_type) or pa.types.is_large_string(batch_type):
        return f"NULLIF(TRIM({q(field.name)}), '')"
    return q(field.name)


def _typed(field: SourceField, batch_type: pa.DataType | None) -> str:
    raw = q(field.name)
    text = batch_type is not None and (pa.types.is_string(batch_type) or pa.types.is_large_string(batch_type))
    if field.type is FieldType.INT and text:
        return f"CASE WHEN regexp_full_match({raw}, '[+-]?[0-9]+') THEN TRY_CAST({raw} AS BIGINT) END"
    if field.type is FieldType.BOOL and text:
        return (
            f"CASE lower({raw}) WHEN 'true' THEN TRUE WHEN '1' THEN TRUE WHEN 'false' THEN FALSE WHEN '0' "
            "THEN FALSE END"
        )
    if field.type is FieldType.UNIT_LIST and text:
        return f"list_filter(list_transform(string_split({raw}, ';'), lambda x: trim(x)), lambda x: x <> '')"
    return f"TRY_CAST({raw} AS {SQL_TYPES[field.type]})"


def _field_reasons(field: SourceField, unit_field: str) -> list[str]:
    name, raw, typed = field.name, q(field.name), v(field.name)
    reasons = []
    if field.required:
        reasons.append(f"CASE WHEN {raw} IS NULL THEN {_lit(name + ': missing')} END")
    reasons.append(
        f"CASE WHEN {raw} IS NOT NULL AND {typed} IS NULL THEN "
        f"{_lit(f'{name}: not a {field.type.value}')} || ' (' || CAST({raw} AS VARCHAR) || ')' END"
    )
    if field.type is FieldType.ENUM:
        allowed = ", ".join(_lit(x) for x in field.values)
        message = f"{name}: not one of {', '.join(field.values)}"
        reasons.append(f"CASE WHEN {typed} NOT IN ({allowed}) THEN {_lit(message)} || ' (' || {typed} || ')' END")
    if field.minimum is not None:
        message = f"{name}: below {field.minimum}"
        reasons.append(f"CASE WHEN {typed} < {field.minimum} THEN {_lit(message)} || ' (' || {typed} || ')' END")
    if field.maximum is not None:
        message = f"{name}: above {field.maximum}"
        reasons.append(f"CASE WHEN {typed} > {field.maximum} THEN {_lit(message)} || ' (' || {typed} || ')' END")
    if field.name == unit_field:
        message = f"{name}: not a unit code valid on the record's date"
        reasons.append(
            f"CASE WHEN {typed} IS NOT NULL AND {v(field.at or '')} IS NOT NULL AND u.__u_code IS NULL THEN "
            f"{_lit(message)} || ' (' || {typed} || ', era ' || {ERA_OF.format(t=v(field.at or ''))} || ')' END"
        )
    elif field.type is FieldType.UNIT_LIST:
        message = f"{name}: not unit codes valid on the record's date"
        reasons.append(
            f"CASE WHEN {q('__bad_' + name)} IS NOT NULL THEN {_lit(message)} || ' (' || "
            f"{q('__bad_' + name)} || ')' END"
        )
    return reasons


def _rule_sql(check: Condition) -> str:
    return compile_condition(check, lambda c: exp.column(f"{c}__v", quoted=True)).sql("duckdb")


def validation_sql(source: Source, batch_schema: pa.Schema) -> str:
    present = {f.name: f.type for f in batch_schema}
    fields = source.fields
    raw = ", ".join(f"{_raw(f, present.get(f.name))} AS {q(f.name)}" for f in fields)
    typed = ", ".join(f"{_typed(f, present.get(f.name))} AS {v(f.name)}" for f in fields)
    unit = source.field(source.unit)
    era = ERA_OF.format(t=f"t.{v(source.time)}")
    lists = [f for f in fields if f.type is FieldType.UNIT_LIST]
    list_ctes = "".join(
        f", {q('bad_' + f.name)} AS (SELECT l._row, string_agg(l.x, ',' ORDER BY l.x) AS {q('__bad_' + f.name)} "
        f"FROM (SELECT _row, unnest({v(f.name)}) AS x, {ERA_OF.format(t=v(f.at or ''))} AS era FROM t) l "
        f"ANTI JOIN units uu ON uu.__u_era = l.era AND uu.__u_code = l.x GROUP BY l._row)"
        for f in lists
    )
    list_joins = "".join(f" LEFT JOIN {q('bad_' + f.name)} USING (_row)" for f in lists)
    field_reasons = ", ".join(r for f in fields for r in _field_reasons(f, source.unit))
    rules = ", ".join(
        f"CASE WHEN NOT COALESCE(({_rule_sql(rule.check)}), FALSE) THEN {_lit(rule.reason)} END"
        for rule in source.rules
    )
    record = ", ".join(f"{q(f.name)} := {q(f.name)}" for f in fields)
    out = ", ".join(f"{v(f.name)} AS {q(f.name)}" for f in fields)
    return f"""
WITH r AS (SELECT _row, {raw} FROM batch),
t AS (SELECT r.*, {typed} FROM r){list_ctes},
j AS (
  SELECT t.*, u.__u_era AS unit_era, u.__u_kind AS unit_kind, u.__u_province AS province,
         concat_ws('; ', {field_reasons}) AS _errors
  FROM t LEFT JOIN units u ON u.__u_era = {era} AND u.__u_code = t.{v(unit.name)}{list_joins}
)
SELECT _row, {out}, unit_era, unit_kind, province,
       CASE WHEN _errors <> '' THEN _errors ELSE concat_ws('; ', {rules or "NULL"}) END AS _reason,
       CASE WHEN _errors <> '' OR concat_ws('; ', {rules or "NULL"}) <> ''
            THEN CAST(to_json(struct_pack({record})) AS VARCHAR) END AS _record
FROM j
"""
