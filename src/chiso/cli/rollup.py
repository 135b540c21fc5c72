"""`chiso units rollup`: values across the 1/7/2025 break, through the succession map."""

from __future__ import annotations

from pathlib import Path

import typer

from chiso.cli.output import fail
from chiso.tables import WRITABLE, TableError, read_table, write_table
from chiso.units.errors import UnitsError
from chiso.units.rollup import Rule, derive_new_units, derive_old_units


def rollup(
    values: Path = typer.Option(..., "--values", "-v", help="Long values: unit, variable, period, value."),
    out: Path = typer.Option(..., "--out", "-o", help=f"Result file: {', '.join(WRITABLE)}."),
    to: str = typer.Option("2025", "--to", help="2025: new units from old codes; 2024: old units from new codes."),
    kind: str = typer.Option("province", help="province | commune"),
    rule: str = typer.Option("mean", help="Default rule: mean (the Ministry's DTI 2024 rule), sum or weighted."),
    rule_for: list[str] = typer.Option([], "--rule-for", help="VARIABLE=RULE for one variable. Repeatable."),
) -> None:
    """Quy đổi số liệu qua sáp nhập — derive values across the 2025 reorganisation, saying which rule did it."""
    rules: dict[str, str] = {}
    for item in rule_for:
        variable, sep, chosen = item.partition("=")
        if not sep or not variable or chosen not in {r.value for r in Rule}:
            fail(f"--rule-for {item!r}: write VARIABLE=RULE with RULE one of mean, sum, weighted")
        rules[variable] = chosen
    if to not in {"2025", "2024"}:
        fail(f"--to {to!r}: use 2025 (old units → new) or 2024 (new units → old)")
    if out.suffix.lower() not in WRITABLE:
        fail(f"{out}: cannot write {out.suffix!r}; use one of {', '.join(WRITABLE)}")
    derive = derive_new_units if to == "2025" else derive_old_units
    try:
        frame = read_table(values)
        missing = [c for c in ("unit", "variable", "period", "value") if c not in frame.columns]
        if missing:
            fail(f"{values}: columns {missing} missing; the file must be long: unit, variable, period, value")
        frame["value"] = frame["value"].astype(float)
        result = derive(frame, rules=rules, default=rule, kind=kind)
        write_table(out, {"values": result})
    except (UnitsError, TableError, ValueError) as exc:
        fail(str(exc))
    derived = int(result["value"].notna().sum())
    typer.echo(
        f"{derived} giá trị quy đổi / values derived, {len(result) - derived} không xác định / undefined → {out}"
    )
