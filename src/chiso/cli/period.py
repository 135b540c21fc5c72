"""`chiso period open | close | status`: collection periods and their completeness."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import typer

from chiso import units
from chiso.actors import service as actors
from chiso.cli.output import fail, print_table
from chiso.cli.session import AsOption, work
from chiso.collection import service as collection
from chiso.collection.deadlines import deadline
from chiso.collection.schemas import PeriodOpen

app = typer.Typer(help="Kỳ thu thập — collection periods.", no_args_is_help=True)


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{option}: not a date {text!r}; write YYYY-MM-DD")


@app.command("open")
def open_(
    as_user: str = AsOption,
    framework: str | None = typer.Option(None, "--framework", "-f", help="Shipped framework code or a YAML file."),
    year: int | None = typer.Option(None, "--year", help="The year declared (the values' period)."),
    unit: list[str] = typer.Option([], "--unit", help="Unit code in scope. Repeatable."),
    province: str | None = typer.Option(None, "--province", help="All units of --kind in this province."),
    kind: str = typer.Option("commune", "--kind", help="With --province: commune or department."),
    opens: str | None = typer.Option(None, "--opens", help="First day (YYYY-MM-DD); default today."),
    closes: str | None = typer.Option(None, "--closes", help="Due date (YYYY-MM-DD)."),
    code: str | None = typer.Option(None, "--code", help="Period code; default YEAR/FRAMEWORK."),
    era: str = typer.Option("2025", "--era", help="Unit codes of this era."),
    officer: list[str] = typer.Option([], "--officer", help="UNIT=USER: the unit's reporting officer. Repeatable."),
    appraiser: list[str] = typer.Option([], "--appraiser", help="USER of the programme office. Repeatable."),
    reason: str | None = typer.Option(None, "--reason", help="Reopen the closed or published period --code."),
) -> None:
    """Mở kỳ thu thập — open a collection period (or reopen one, with --code and --reason)."""
    with work(as_user) as w:
        if reason is not None:
            if not code:
                fail("reopening needs the period's --code")
            period = collection.reopen_period(session=w.session, code=code, reason=reason, actor=w.actor)
            typer.echo(f"Đã mở lại kỳ / reopened {period.code}: {reason}")
            return
        if framework is None or year is None or closes is None:
            fail("opening a period needs --framework, --year and --closes")
        scope = list(unit)
        if province:
            scope += [u.code for u in units.list_units(era=era, kind=kind, province=province)]
        if not scope:
            fail("no unit in scope: give --unit CODE (repeatable) or --province CODE")
        period = collection.open_period(
            session=w.session,
            period_in=PeriodOpen(
                framework=framework,
                year=year,
                units=tuple(scope),
                opens_on=_date(opens, "--opens") or w.clock.today(),
                closes_on=_date(closes, "--closes") or w.clock.today(),
                era=era,
                code=code,
            ),
            actor=w.actor,
            paths=True,  # the administrator on the server may name a YAML file
        )
        for pair in officer:
            unit_code, _, user = pair.partition("=")
            if not user or unit_code not in scope:
                fail(f"--officer {pair!r}: write UNIT=USER with a unit in scope")
            actors.ensure(session=w.session, user=user, roles={"officer"}, unit_code=unit_code, actor=w.actor)
        for user in appraiser:
            actors.ensure(session=w.session, user=user, roles={"appraiser"}, actor=w.actor)
        typer.echo(
            f"Đã mở kỳ {period.code}: {len(scope)} đơn vị, hạn {period.closes_on} / "
            f"opened {period.code} for {len(scope)} units, due {period.closes_on}"
        )


@app.command("close")
def close(code: str = typer.Argument(..., help="Period code."), as_user: str = AsOption) -> None:
    """Đóng kỳ thu thập — close a period: drafts can no longer be submitted."""
    with work(as_user) as w:
        period = collection.close_period(session=w.session, code=code, actor=w.actor)
        typer.echo(f"Đã đóng kỳ / closed {period.code}")


@app.command("status")
def status(
    code: str = typer.Argument(..., help="Period code."),
    as_user: str = AsOption,
    today: str | None = typer.Option(None, "--today", help="Date to judge overdue items by (default today)."),
    fmt: str = typer.Option("table", "--format", help="table | json"),
) -> None:
    """Tiến độ kê khai — completeness: who has not declared or submitted, overdue items."""
    with work(as_user) as w:
        day = _date(today, "--today") or w.clock.today()
        found = collection.status(session=w.session, code=code, actor=w.actor, today=day)
    if fmt == "json":
        body = dataclasses.asdict(found) | {
            "not_declared": found.not_declared,
            "not_submitted": found.not_submitted,
            "overdue_items": found.overdue_items,
        }
        typer.echo(json.dumps(body, ensure_ascii=False, indent=1, default=str))
        return
    typer.echo(f"Kỳ {found.code} ({found.framework}) — {found.state}, hạn / due {found.closes_on}")
    warning = deadline(found.state, found.closes_on, day)
    if warning is not None and warning.state == "late":
        typer.echo(f"Quá hạn {warning.days} ngày / {warning.days} day(s) past the deadline")
    elif warning is not None:
        typer.echo(f"Còn {warning.days} ngày đến hạn / {warning.days} day(s) to the deadline")
    rows = [
        (
            u.unit_code,
            u.unit_name,
            u.state,
            f"{u.declared}/{u.items}",
            u.submitted_at.strftime("%Y-%m-%d %H:%M") if u.submitted_at else "",
            u.overdue or "",
        )
        for u in found.units
    ]
    print_table(("unit", "name", "state", "declared", "submitted_at", "overdue"), rows)
    typer.echo(
        f"Chưa kê khai / not declared: {len(found.not_declared)} · chưa nộp / not submitted: "
        f"{len(found.not_submitted)} · quá hạn / overdue items: {found.overdue_items}"
    )
