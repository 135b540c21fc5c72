"""Accounts in bulk: a spreadsheet (XLSX or CSV) of officers with their unit, role, e-mail and name.

All or nothing: every row is checked first and every problem is listed with its row and column; only a
file without any problem creates accounts. Each new account gets a temporary password, returned once,
that its user must change at the first login. The template (`template`) has the columns, an example row
and, when the province is known, a sheet of its units with their codes.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from chiso import units
from chiso.accounts import service
from chiso.accounts.models import Account
from chiso.accounts.schemas import UserCreate
from chiso.actors.models import ActorRecord
from chiso.audit import service as audit
from chiso.errors import MESSAGES, ChisoError
from chiso.permissions import ROLE_LABELS, ROLES, Actor, check
from chiso.workbooks import FileRefused, csv_reader, opened

ERA = "2025"
SHEET = "Tài khoản"
# (key, Vietnamese header, English header); a file may use either header
COLUMNS = (
    ("user", "Tên đăng nhập", "User"),
    ("name", "Họ tên", "Name"),
    ("email", "Thư điện tử", "E-mail"),
    ("role", "Vai trò", "Role"),
    ("unit", "Đơn vị", "Unit"),
)
REQUIRED = ("user", "role")
HUMAN_ROLES = tuple(r for r in ROLES if r != "system")  # the measuring service is no person's role


@dataclass(frozen=True)
class Problem:
    row: int  # 1 is the header row, as the spreadsheet numbers it
    column: str  # the Vietnamese header
    code: str
    params: dict[str, Any]


class AccountImportRefused(ChisoError):
    """A file of accounts with problems: each with its row and column; nothing was created."""

    kind = "validation"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(code="import.refused", params={"n": len(problems)})

    def lines(self, gettext: Callable[[str], str] = str) -> list[str]:
        return [
            gettext(MESSAGES["import.at"])
            % {
                "row": p.row,
                "column": p.column,  # the header as the file has it
                "problem": gettext(MESSAGES[p.code]) % {k: _text(v) for k, v in p.params.items()},
            }
            for p in self.problems
        ]

    def message(self, gettext: Callable[[str], str] = str, lang: str = "vi") -> str:
        head = gettext(MESSAGES["import.refused"]) % {"n": len(self.problems)}
        return "\n".join([head, *self.lines(gettext)])


@dataclass(frozen=True)
class Imported:
    """An account made by an import, with the temporary password to hand to its user (shown once)."""

    user: str
    name: str
    email: str | None
    roles: tuple[str, ...]
    unit_code: str | None
    unit_name: str
    password: str


def _text(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


HEADERS = {_fold(h): key for key, vi, en in COLUMNS for h in (key, vi, en)}
ROLE_NAMES = {_fold(n): role for role in HUMAN_ROLES for n in (role, *ROLE_LABELS[role])}
VI_HEADER = {key: vi for key, vi, _en in COLUMNS}


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(row number, {column key: text}) of every non-empty row; FileRefused for a file that cannot be read."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with csv_reader(path) as reader:
            header = list(reader.fieldnames or [])
            rows = [[row.get(h) or "" for h in header] for row in reader]
    elif suffix == ".xlsx":
        with opened(path) as wb:
            sheet = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
            table = [["" if v is None else str(v).strip() for v in r] for r in sheet.iter_rows(values_only=True)]
        header, rows = (table[0], table[1:]) if table else ([], [])
    else:
        raise FileRefused(path, "chỉ nhận tệp .xlsx hoặc .csv", "only .xlsx or .csv files are read")
    keys = [HEADERS.get(_fold(h or "")) for h in header]
    missing = [VI_HEADER[k] for k in REQUIRED if k not in keys]
    if missing:
        raise ChisoError.of("import.columns", field="file", columns=missing)
    found = []
    for n, cells in enumerate(rows, start=2):
        record = {k: str(c).strip() for k, c in zip(keys, cells, strict=False) if k is not None}
        if any(record.values()):
            found.append((n, record))
    return found


def _unit_index(province: str | None) -> tuple[dict[str, units.Unit], dict[str, list[units.Unit]]]:
    """Units by code, and by name: the province's own (when the installation names it), else all."""
    every = [u for u in units.list_units(era=ERA) if u.kind in ("commune", "department", "province")]
    by_code = {u.code: u for u in every}
    by_name: dict[str, list[units.Unit]] = {}
    for unit in every:
        if province is None or unit.province_code == province:
            by_name.setdefault(_fold(unit.name), []).append(unit)
    return by_code, by_name


def check_rows(
    session: Session, rows: Iterable[tuple[int, dict[str, str]]], province: str | None = None
) -> tuple[list[tuple[UserCreate, str]], list[Problem]]:
    """Every row as a new account (with its unit's name), and every problem found."""
    by_code, by_name = _unit_index(province)
    existing = set(session.scalars(select(ActorRecord.user).join(Account, Account.actor_id == ActorRecord.id)))
    first_row: dict[str, int] = {}
    made: list[tuple[UserCreate, str]] = []
    problems: list[Problem] = []
    for n, row in rows:

        def problem(key: str, code: str, **params: Any) -> None:
            problems.append(Problem(n, VI_HEADER[key], code, params))  # noqa: B023 (used at once)

        user = row.get("user", "")
        if user in first_row:
            problem("user", "import.user-twice", user=user, first=first_row[user])
        elif user in existing:
            problem("user", "account.exists", user=user)
        first_row.setdefault(user, n)
        roles: set[str] = set()
        for part in row.get("role", "").replace(";", ",").split(","):
            if part.strip():
                role = ROLE_NAMES.get(_fold(part))
                if role is None:
                    known = [ROLE_LABELS[r][0] for r in HUMAN_ROLES]
                    problem("role", "account.role-unknown", roles=part.strip(), known=known)
                else:
                    roles.add(role)
        unit, unit_text = None, row.get("unit", "")
        if unit_text:
            unit = by_code.get(unit_text.split(" ")[0])
            if unit is None:
                named = by_name.get(_fold(unit_text), [])
                if len(named) == 1:
                    unit = named[0]
                elif named:
                    codes = [u.code for u in named[:5]] + (["…"] if len(named) > 5 else [])
                    problem("unit", "import.unit-ambiguous", unit=unit_text, codes=codes)
                else:
                    problem("unit", "account.unit-unknown", unit=unit_text)
        if not row.get("role", "").strip():
            problem("role", "import.role-missing")
        if roles and "officer" in roles and not unit_text:
            problem("unit", "account.unit-needed")
        if roles and "officer" not in roles and unit_text:
            problem("unit", "account.unit-not-allowed")
        try:
            user_in = UserCreate(
                user=user,
                roles=frozenset(roles) or frozenset({"viewer"}),
                unit_code=unit.code if unit is not None else None,
                name=row.get("name", ""),
                email=row.get("email") or None,
            )
        except ValidationError as exc:
            for error in exc.errors():
                key = str(error["loc"][0]) if error["loc"] else "user"
                if key in ("user", "email", "name"):
                    problem(key, f"import.{key}-invalid")
            continue
        made.append((user_in, unit.name if unit is not None else ""))
    order = [vi for _key, vi, _en in COLUMNS]
    problems.sort(key=lambda p: (p.row, order.index(p.column)))  # as the file reads: row, then column
    return made, problems


def import_accounts(
    *, session: Session, path: Path, actor: Actor, source_name: str = "", province: str | None = None
) -> list[Imported]:
    """Create every account of the file, or none: AccountImportRefused lists every problem. Units are
    read by code, or by name among the units of `province` (the installation's) when it is given."""
    check(actor, "account.manage")
    rows = read_rows(path)
    if not rows:
        raise ChisoError.of("import.empty", field="file")
    made, problems = check_rows(session, rows, province)
    if problems:
        raise AccountImportRefused(problems)
    done = []
    for user_in, unit_name in made:
        service.create_user(session=session, user_in=user_in, actor=actor)
        password = service.issue_temporary_password(session=session, user=user_in.user, actor=actor)
        done.append(
            Imported(
                user_in.user,
                user_in.name,
                user_in.email,
                tuple(sorted(user_in.roles)),
                user_in.unit_code,
                unit_name,
                password,
            )
        )
    audit.record(
        session=session,
        actor=actor.user,
        action="account.import",
        entity="account",
        entity_key=source_name or path.name,
        after={
            "file": source_name or path.name,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "accounts": [d.user for d in done],
        },
    )
    session.flush()
    return done


def template(province: str | None) -> Workbook:
    """The file to fill in: the columns, an example row, the roles, and the province's units."""
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append([vi for _key, vi, _en in COLUMNS])
    sheet.append(["canbo.vidu", "Nguyễn Văn A", "nguyenvana@example.vn", ROLE_LABELS["officer"][0], "01840"])
    for column, width in zip("ABCDE", (22, 28, 30, 34, 30), strict=True):
        sheet.column_dimensions[column].width = width
    roles = wb.create_sheet("Vai trò")
    roles.append(["Vai trò", "Role"])
    for role in HUMAN_ROLES:
        roles.append(list(ROLE_LABELS[role]))
    if province:
        listed = wb.create_sheet("Đơn vị")
        listed.append(["Mã", "Tên"])
        for kind in ("commune", "department"):
            for unit in units.list_units(era=ERA, kind=kind, province=province):
                listed.append([unit.code, unit.name])
    return wb
