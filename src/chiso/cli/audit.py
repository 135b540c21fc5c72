"""`chiso audit list | export | verify`: read the audit log and check its hash chain."""

from __future__ import annotations

import datetime as dt
import io
import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from chiso import csvsafe
from chiso.audit import service as audit
from chiso.cli.output import fail, print_table
from chiso.cli.session import AsOption, work

app = typer.Typer(help="Nhật ký kiểm toán — the audit log: list, export, verify.", no_args_is_help=True)
COLUMNS = ["id", "at", "actor", "action", "entity", "entity_key", "unit_code", "before", "after", "reason"]


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


ActorFilter = typer.Option(None, "--actor", help="Only what this user did (or tried).")
ActionFilter = typer.Option(None, "--action", help="Only this action, e.g. login.failed; `login.*` for a family.")
UnitFilter = typer.Option(None, "--unit", "-u", help="Only entries about this unit.")
SinceFilter = typer.Option(None, "--since", help="From this day (YYYY-MM-DD, Vietnam time).")
UntilFilter = typer.Option(None, "--until", help="Up to this day, included.")


def _day(text: str | None, option: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r}: ngày không hợp lệ — not a date; write YYYY-MM-DD")


def _filters(
    actor: str | None, action: str | None, unit: str | None, since: str | None, until: str | None
) -> audit.Filters:
    return audit.Filters(actor, action, unit, _day(since, "--since"), _day(until, "--until"))


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """One line per entry: before and after as compact JSON text."""
    return {
        k: json.dumps(v, ensure_ascii=False, separators=(",", ":")) if isinstance(v, dict | list) else v
        for k, v in row.items()
    }


@app.command("list")
def list_(
    actor: str | None = ActorFilter,
    action: str | None = ActionFilter,
    unit: str | None = UnitFilter,
    since: str | None = SinceFilter,
    until: str | None = UntilFilter,
    limit: int = typer.Option(100, "--limit", "-n", min=1, max=100_000, help="At most this many, newest first."),
    fmt: Format = typer.Option(Format.TABLE, "--format", "-f", help="table | csv | json"),
    as_user: str = AsOption,
) -> None:
    """Xem nhật ký — the newest entries that match the filters."""
    filters = _filters(actor, action, unit, since, until)
    with work(as_user) as w:
        found = audit.list_entries(session=w.session, actor=w.actor, filters=filters, per_page=limit)
        rows = [audit.as_row(e) for e in found.entries]
    if fmt is Format.JSON:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    elif fmt is Format.CSV:
        buffer = io.StringIO()
        csvsafe.write(buffer, [_flat(r) for r in rows], [*COLUMNS, "hash"], lineterminator="\n")
        typer.echo(buffer.getvalue(), nl=False)
    else:
        table = [(r["id"], r["at"][:19], r["actor"], r["action"], r["entity_key"][:40], r["unit_code"]) for r in rows]
        print_table(("#", "thời điểm (UTC)", "người", "hành động", "đối tượng", "đơn vị"), table)
        if found.total > len(rows):
            typer.echo(f"… {found.total - len(rows)} mục cũ hơn / older entries not shown (--limit)", err=True)


@app.command("export")
def export(
    out: Path = typer.Option(..., "--out", "-o", help="The .csv or .xlsx file to write."),
    actor: str | None = ActorFilter,
    action: str | None = ActionFilter,
    unit: str | None = UnitFilter,
    since: str | None = SinceFilter,
    until: str | None = UntilFilter,
    as_user: str = AsOption,
) -> None:
    """Xuất nhật ký — every entry that matches, oldest first, with its hash."""
    import pandas as pd

    from chiso.tables import TableError, write_table

    if out.suffix.lower() not in (".csv", ".xlsx"):
        fail(f"{out}: xuất ra .csv hoặc .xlsx — export to a .csv or .xlsx file")
    filters = _filters(actor, action, unit, since, until)
    with work(as_user) as w:
        rows = [_flat(audit.as_row(e)) for e in audit.iter_entries(session=w.session, actor=w.actor, filters=filters)]
    # Escaped for XLSX too: a login name tried by anyone ("=HYPERLINK(…)") must not become a formula.
    frame = csvsafe.frame(pd.DataFrame(rows, columns=[*COLUMNS, "hash"]))
    try:
        write_table(out, {"audit": frame})
    except TableError as exc:
        fail(str(exc))
    typer.echo(f"Đã xuất {len(rows)} mục / exported {len(rows)} entries → {out}")


@app.command("verify")
def verify(as_user: str = AsOption) -> None:
    """Kiểm tra chuỗi băm — verify the hash chain; exit code 1 at the first broken link."""
    with work(as_user) as w:
        report = audit.verify(session=w.session, actor=w.actor)
    if report.broken_at is None:
        typer.echo(
            f"Nhật ký nguyên vẹn: {report.count} mục / intact: {report.count} entries\n"
            f"head {report.head}\n"
            "(ghi lại ở nơi khác để phát hiện việc cắt bớt — note it elsewhere to detect truncation)"
        )
        return
    typer.echo(
        f"Chuỗi bị đứt tại mục #{report.broken_at} / the chain is broken at entry #{report.broken_at}: "
        f"{report.problem} ({report.count} entries before it are intact)"
    )
    raise typer.Exit(1)
