"""`chiso review list | return | accept | approve`: the appraiser's work on submitted items."""

from __future__ import annotations

import typer

from chiso.cli.output import print_table
from chiso.cli.session import AsOption, work
from chiso.collection import review as service
from chiso.framework.describe import number

app = typer.Typer(help="Thẩm định — appraisal of declarations.", no_args_is_help=True)
PeriodOption = typer.Option(..., "--period", "-p", help="Period code.")


def _n(value: float | None) -> str:
    return "" if value is None else number(value)


@app.command("list")
def list_(
    period: str = PeriodOption,
    unit: str | None = typer.Option(None, "--unit", "-u", help="One unit."),
    state: list[str] = typer.Option([], "--state", help="Only items in this state. Repeatable."),
    as_user: str = AsOption,
) -> None:
    """Danh sách chỉ số cần thẩm định — items with their figures, scores, evidence and state."""
    with work(as_user) as w:
        found = service.list_items(session=w.session, period_code=period, actor=w.actor, unit_code=unit, states=state)
        rows = [
            (
                i.unit_code,
                i.indicator,
                i.state,
                _n(i.max_points),
                _n(i.self_score),
                _n(i.appraised_score),
                "; ".join(f"{k}={_n(v)}" for k, v in i.values.items() if v is not None),
                len(i.evidence),
                i.comment,
            )
            for i in found
        ]
    print_table(("unit", "indicator", "state", "max", "self", "appraised", "figures", "evidence", "comment"), rows)


@app.command("return")
def return_(
    period: str = PeriodOption,
    unit: str = typer.Option(..., "--unit", "-u", help="Unit code."),
    indicator: str = typer.Option(..., "--indicator", "-i", help="Indicator code."),
    comment: str = typer.Option(..., "--comment", "-m", help="What is missing, e.g. 'Cần bổ sung minh chứng'."),
    score: float | None = typer.Option(None, "--score", help="Appraised score so far."),
    as_user: str = AsOption,
) -> None:
    """Trả lại chỉ số kèm ý kiến — return an item to the unit with a comment."""
    with work(as_user) as w:
        service.return_item(
            session=w.session,
            period_code=period,
            unit_code=unit,
            indicator=indicator,
            comment=comment,
            appraised_score=score,
            actor=w.actor,
        )
    typer.echo(f"Đã trả lại / returned {unit}/{indicator}: {comment}")


@app.command("accept")
def accept(
    period: str = PeriodOption,
    unit: str = typer.Option(..., "--unit", "-u", help="Unit code."),
    indicator: list[str] = typer.Option([], "--indicator", "-i", help="Items to accept (default: all submitted)."),
    score: float | None = typer.Option(None, "--score", help="Appraised score (with one --indicator)."),
    comment: str = typer.Option("", "--comment", "-m", help="Comment."),
    as_user: str = AsOption,
) -> None:
    """Chấp nhận chỉ số — accept submitted items, optionally with an appraised score."""
    with work(as_user) as w:
        done = service.accept(
            session=w.session,
            period_code=period,
            unit_code=unit,
            indicators=indicator,
            appraised_score=score,
            comment=comment,
            actor=w.actor,
        )
    typer.echo(f"Đã chấp nhận {len(done)} chỉ số / accepted {len(done)} items of {unit}")


@app.command("approve")
def approve(
    period: str = PeriodOption,
    unit: str = typer.Option(..., "--unit", "-u", help="Unit code."),
    as_user: str = AsOption,
) -> None:
    """Phê duyệt kết quả của đơn vị — approve a unit whose items are all accepted."""
    with work(as_user) as w:
        done = service.approve(session=w.session, period_code=period, unit_code=unit, actor=w.actor)
    typer.echo(f"Đã phê duyệt {unit}: {len(done)} chỉ số / approved {unit}: {len(done)} items")
