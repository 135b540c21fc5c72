"""`chiso evidence gc`: remove stored evidence files no record cites, and staging files left behind."""

from __future__ import annotations

import typer

from chiso.cli.session import AsOption, work
from chiso.collection import evidence

app = typer.Typer(help="Tệp minh chứng — stored evidence files.", no_args_is_help=True)


@app.command("gc")
def gc(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would be removed."),
    as_user: str = AsOption,
) -> None:
    """Dọn tệp — remove files no row cites and staging files of killed imports (both over an hour old)."""
    with work(as_user) as w:
        done = evidence.collect_garbage(session=w.session, files=w.files, actor=w.actor, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    for item in done.removed:
        typer.echo(f"{verb} {item.path} ({item.size:,} bytes, {item.why})")
    for target in done.restored:
        typer.echo(f"{'would move' if dry_run else 'moved'} into place (a committed row cites it): {target}")
    count, freed = len(done.removed), done.freed
    if dry_run:
        typer.echo(f"Sẽ xoá {count} tệp, {freed:,} byte / would remove {count} files, would free {freed:,} bytes")
    else:
        typer.echo(f"Đã xoá {count} tệp, giải phóng {freed:,} byte / removed {count} files, freed {freed:,} bytes")
