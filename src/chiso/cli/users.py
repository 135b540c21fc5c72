"""`chiso users create | list | disable | token | import | template | reset`: accounts, roles and API tokens."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

from chiso import csvsafe
from chiso.accounts import imports, service
from chiso.accounts.schemas import UserCreate
from chiso.cli.output import fail, print_table
from chiso.cli.session import AsOption, load_settings, work
from chiso.permissions import ROLE_LABELS, ROLES

app = typer.Typer(help="Tài khoản — accounts, roles and API tokens.", no_args_is_help=True)


@app.command("create")
def create(
    user: str = typer.Argument(..., help="Login name, e.g. canbo.ducxuan."),
    role: list[str] = typer.Option(..., "--role", "-r", help=f"Role (repeatable): {', '.join(ROLES)}."),
    unit: str | None = typer.Option(None, "--unit", help="The unit of a unit officer (official code)."),
    name: str = typer.Option("", "--name", help="Full name."),
    password: str | None = typer.Option(
        None, "--password", envvar="CHISO_NEW_PASSWORD", help="Password (asked for when not given)."
    ),
    no_password: bool = typer.Option(False, "--no-password", help="No login: the account only holds API tokens."),
    as_user: str = AsOption,
) -> None:
    """Tạo tài khoản — create an account (for an existing actor too, e.g. the first administrator)."""
    if password is None and not no_password:
        password = typer.prompt("Mật khẩu / password", hide_input=True, confirmation_prompt=True)
    try:
        user_in = UserCreate(
            user=user, roles=frozenset(role), unit_code=unit, name=name, password=None if no_password else password
        )
    except ValidationError as exc:
        fail("; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()))
    with work(as_user) as w:
        made = service.create_user(session=w.session, user_in=user_in, actor=w.actor)
    scope = f", đơn vị / unit {made.unit_code}" if made.unit_code else ""
    typer.echo(f"Đã tạo / created: {made.user} ({', '.join(role_name(r) for r in made.roles)}{scope})")


@app.command("list")
def list_(as_user: str = AsOption) -> None:
    """Danh sách tài khoản — accounts with their roles, unit and state."""
    with work(as_user) as w:
        rows = service.list_users(session=w.session, actor=w.actor)
        tokens = service.list_tokens(session=w.session, actor=w.actor)
    print_table(
        ("tài khoản", "họ tên", "vai trò", "đơn vị", "trạng thái", "đăng nhập gần nhất"),
        [
            (
                u.user,
                u.name,
                ", ".join(role_name(r) for r in u.roles),
                u.unit_code or "",
                "khoá / disabled" if u.disabled else "hoạt động / active",
                u.last_login_at.strftime("%d/%m/%Y %H:%M") if u.last_login_at else "",
            )
            for u in rows
        ],
    )
    if tokens:
        typer.echo("")
        print_table(
            ("token", "tài khoản", "tên", "phạm vi", "hết hạn", "thu hồi"),
            [
                (
                    f"{t.id} {t.prefix}…",
                    t.user,
                    t.name,
                    t.scope,
                    t.expires_at.strftime("%d/%m/%Y"),
                    t.revoked_at.strftime("%d/%m/%Y") if t.revoked_at else "",
                )
                for t in tokens
            ],
        )


@app.command("disable")
def disable(
    user: str = typer.Argument(...),
    enable: bool = typer.Option(False, "--enable", help="Enable the account again instead."),
    as_user: str = AsOption,
) -> None:
    """Khoá tài khoản — disable an account: its sessions and tokens stop working at once."""
    with work(as_user) as w:
        done = service.set_disabled(session=w.session, user=user, disabled=not enable, actor=w.actor)
    typer.echo(f"{done.user}: {'khoá / disabled' if done.disabled else 'mở / enabled'}")


@app.command("token")
def token(
    user: str | None = typer.Argument(None, help="Account the token acts as."),
    scope: str = typer.Option("read", "--scope", help="read, or write (record values)."),
    days: int = typer.Option(90, "--days", help="Valid for this many days."),
    name: str = typer.Option("", "--name", help="What the token is for, e.g. IOC."),
    revoke: int | None = typer.Option(None, "--revoke", help="Revoke the token with this id instead."),
    as_user: str = AsOption,
) -> None:
    """Cấp hoặc thu hồi token API — issue an API token (shown once) or revoke one."""
    with work(as_user) as w:
        if revoke is not None:
            done = service.revoke_token(session=w.session, token_id=revoke, actor=w.actor)
            text = f"Đã thu hồi / revoked token {done.id} ({done.prefix}…, {done.user})"
        else:
            if user is None:
                fail("name the account the token acts as, or --revoke ID")
            if scope not in ("read", "write"):
                fail(f"unknown scope {scope!r}; scopes: read, write")
            issued = service.create_token(
                session=w.session,
                user=user,
                scope="write" if scope == "write" else "read",
                days=days,
                name=name,
                actor=w.actor,
            )
            text = (
                f"{issued.secret}\n"
                f"token {issued.view.id} cho / for {issued.view.user}, phạm vi / scope {issued.view.scope}, "
                f"hết hạn / expires {issued.view.expires_at.strftime('%d/%m/%Y')}. "
                "Lưu lại ngay: không hiển thị lại / keep it now: it is not shown again."
            )
    typer.echo(text)


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="XLSX or CSV: Tên đăng nhập, Họ tên, Thư điện tử, Vai trò, Đơn vị."),
    out: Path | None = typer.Option(
        None, "--out", help="Write the new accounts with their temporary passwords to this CSV (else printed)."
    ),
    as_user: str = AsOption,
) -> None:
    """Nhập tài khoản từ tệp — create accounts in bulk from a spreadsheet, all or nothing."""
    with work(as_user) as w:
        done = imports.import_accounts(
            session=w.session, path=file, actor=w.actor, source_name=file.name, province=w.settings.province
        )
    rows = [
        (d.user, d.name, d.email or "", ", ".join(role_name(r) for r in d.roles), d.unit_name, d.password) for d in done
    ]
    headers = ("tài khoản", "họ tên", "thư điện tử", "vai trò", "đơn vị", "mật khẩu tạm thời")
    if out is not None:
        with out.open("w", encoding="utf-8", newline="") as handle:
            csvsafe.write(handle, [dict(zip(headers, row, strict=True)) for row in rows], headers)
        typer.echo(f"Đã tạo {len(done)} tài khoản / created {len(done)} accounts → {out}")
    else:
        print_table(headers, rows)
        typer.echo(f"Đã tạo {len(done)} tài khoản / created {len(done)} accounts")
    typer.echo(
        "Mật khẩu tạm thời chỉ hiển thị một lần; người dùng phải đổi khi đăng nhập lần đầu"
        " / temporary passwords are shown once; each user must change theirs at the first login."
    )


@app.command("template")
def template(
    out: Path = typer.Option(Path("tai-khoan.xlsx"), "--out", help="Where to write the template (.xlsx)."),
    province: str | None = typer.Option(
        None, "--province", help="List this province's units in the template (default: the setting CHISO_PROVINCE)."
    ),
) -> None:
    """Tệp mẫu nhập tài khoản — the XLSX template for `chiso users import`."""
    wb = imports.template(province or load_settings().province)
    wb.save(out)
    typer.echo(f"{out}")


@app.command("reset")
def reset(
    user: str = typer.Argument(..., help="The account whose password is reset."), as_user: str = AsOption
) -> None:
    """Đặt lại mật khẩu — a temporary password (shown once) that the user must change at the next login."""
    with work(as_user) as w:
        temporary = service.reset_password(session=w.session, user=user, actor=w.actor)
    typer.echo(temporary)
    typer.echo(
        f"Mật khẩu tạm thời của {user}; chỉ hiển thị một lần, phải đổi khi đăng nhập"
        f" / temporary password of {user}: shown once, to be changed at the next login."
    )


def role_name(role: str) -> str:
    return ROLE_LABELS[role][0] if role in ROLE_LABELS else role
