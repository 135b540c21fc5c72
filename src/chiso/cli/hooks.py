"""`chiso hooks add | list | test | log | remove`: webhooks to the province's IOC; `chiso worker` pushes them."""

from __future__ import annotations

import signal
import threading

import typer

from chiso.cli.output import print_table
from chiso.cli.session import AsOption, load_settings, work
from chiso.events import hooks as service
from chiso.events.service import TYPES

app = typer.Typer(help="Webhook — push events (results, approvals, periods) to the IOC.", no_args_is_help=True)


@app.command("add")
def add(
    url: str = typer.Argument(..., help="Where to POST the events, e.g. https://ioc.example.vn/chiso."),
    events: list[str] = typer.Option(
        [], "--events", "-e", help=f"Event types (repeatable, or comma-separated; default all): {', '.join(TYPES)}."
    ),
    secret: str | None = typer.Option(None, "--secret", help="Signing secret (≥ 16 characters; made when not given)."),
    as_user: str = AsOption,
) -> None:
    """Đăng ký webhook — subscribe a URL; prints the signing secret once."""
    with work(as_user) as w:
        made = service.add(session=w.session, url=url, event_types=events, secret=secret, actor=w.actor)
        shown = (made.id, made.event_types, made.secret)
    typer.echo(f"Đã đăng ký / subscribed: {shown[0]} {url} ({shown[1]})")
    typer.echo(f"Khóa ký / signing secret (shown once): {shown[2]}")


@app.command("list")
def list_(as_user: str = AsOption) -> None:
    """Danh sách webhook — the active subscriptions."""
    with work(as_user) as w:
        rows = [
            (s.id, s.url, s.event_types, s.created_by, s.created_at.strftime("%d/%m/%Y %H:%M"))
            for s in service.list_subscriptions(session=w.session, actor=w.actor)
        ]
    print_table(("id", "url", "sự kiện / events", "tạo bởi / by", "lúc / at"), rows)


@app.command("test")
def test(
    subscription: int = typer.Argument(..., help="Subscription id (chiso hooks list)."), as_user: str = AsOption
) -> None:
    """Gửi thử — send a ping event to one subscription now, and show how it went."""
    from chiso.events.delivery import deliver, source_of
    from chiso.events.runner import policy_of, sessions_of

    with work(as_user) as w:
        event_id = service.ping(session=w.session, subscription_id=subscription, actor=w.actor).event_id
    settings = load_settings()
    sessions, dispose = sessions_of(settings)
    try:
        deliver(sessions=sessions, source=source_of(settings.province), policy=policy_of(settings))
    finally:
        dispose()
    with work(as_user) as w:
        found = [r for r in service.log(session=w.session, actor=w.actor, limit=200) if r.event_id == event_id]
        outcome = (
            (found[0].delivery.state, found[0].delivery.last_status, found[0].delivery.last_error) if found else None
        )
    if outcome is None:
        typer.echo(f"ping {event_id}: not queued")
        raise typer.Exit(1)
    typer.echo(f"ping {event_id}: {outcome[0]} (HTTP {outcome[1] or '—'}) {outcome[2]}".rstrip())
    if outcome[0] != "delivered":
        raise typer.Exit(1)


@app.command("log")
def log(
    state: str | None = typer.Option(None, "--state", help="Only deliveries in this state: pending, delivered, dead."),
    limit: int = typer.Option(50, "--limit", min=1, max=10000, help="How many, newest first."),
    as_user: str = AsOption,
) -> None:
    """Nhật ký gửi — the delivery log, newest first."""
    with work(as_user) as w:
        rows = [
            (
                r.delivery.id,
                r.type,
                r.event_id,
                r.url,
                r.delivery.state,
                r.delivery.attempts,
                r.delivery.last_status or "",
                r.delivery.last_error,
                r.delivery.next_attempt_at.strftime("%d/%m %H:%M:%S") if r.delivery.state == "pending" else "",
            )
            for r in service.log(session=w.session, actor=w.actor, state=state, limit=limit)
        ]
    print_table(("id", "sự kiện / event", "ce-id", "url", "trạng thái", "lần", "HTTP", "lỗi / error", "thử lại"), rows)


@app.command("remove")
def remove(subscription: int = typer.Argument(..., help="Subscription id."), as_user: str = AsOption) -> None:
    """Hủy webhook — stop a subscription (its pending deliveries become dead; the log stays)."""
    with work(as_user) as w:
        service.remove(session=w.session, subscription_id=subscription, actor=w.actor)
    typer.echo(f"Đã hủy / removed: {subscription}")


def worker(
    once: bool = typer.Option(False, "--once", help="One pass, then exit (cron, tests)."),
    idle: float = typer.Option(0.2, "--idle", min=0.01, max=60, help="Seconds to wait when there is nothing to do."),
) -> None:
    """Chạy tiến trình gửi sự kiện — keep provisional results live and push events to the webhooks."""
    from chiso.events.delivery import run, run_once, source_of
    from chiso.events.runner import policy_of, sessions_of

    settings = load_settings()
    sessions, dispose = sessions_of(settings)
    source, policy = source_of(settings.province), policy_of(settings)
    try:
        if once:
            done = run_once(sessions=sessions, source=source, policy=policy)
            typer.echo(f"Đã xử lý / handled: {done}")
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        typer.echo("Worker started (Ctrl-C to stop)")
        try:
            run(sessions=sessions, source=source, stop=stop, policy=policy, idle_seconds=idle)
        except KeyboardInterrupt:
            stop.set()
    finally:
        dispose()
