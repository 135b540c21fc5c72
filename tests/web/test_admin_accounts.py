"""Administration (issue 12, item 7): accounts imported from a file, password resets that must be changed,
deadline warnings, "Công bố" disabled with its reason, roles by name, an officer's periods in scope."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from tests import factories as f
from tests.conftest import TODAY
from tests.web.conftest import PASSWORD, csrf_of, login

from chiso.audit.models import AuditEntry
from chiso.collection import service as collection
from chiso.collection.schemas import PeriodOpen
from chiso.dashboard import service as dashboard
from chiso.results import service as results

HEADER = ["Tên đăng nhập", "Họ tên", "Thư điện tử", "Vai trò", "Đơn vị"]


def xlsx(rows: list[list[str]]) -> bytes:
    wb = Workbook()
    sheet = wb.active
    sheet.title = "Tài khoản"
    for row in [HEADER, *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(client, name: str, data: bytes, media: str):
    return client.post(
        "/admin/users/import",
        data={"csrf_token": csrf_of(client, "/admin")},
        files={"file": (name, data, media)},
    )


def users_of(client) -> set[str]:
    page = client.get("/admin").text
    table = page.split('id="users"', 1)[1].split("</table>", 1)[0]
    return set(re.findall(r"<tr><td>([^<]+)<div", table))


def audit_actions(site, action: str) -> list[AuditEntry]:
    with site.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)).all())


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GOOD = [
    ["canbo.tanthinh", "Trần Thị B", "ttb@thainguyen.gov.vn", "Cán bộ đơn vị", "Phường Bắc Kạn"],
    ["canbo.skhcn2", "Lê Văn C", "", "officer", "19-SKHCN Sở Khoa học và Công nghệ"],
    ["xem.ketqua", "Phạm D", "", "Xem", ""],
]


def test_an_import_with_problems_lists_each_by_row_and_column_and_creates_nothing(published):
    client = published.client("admin")
    before = users_of(client)
    bad = [
        GOOD[0],
        ["canbo tan", "X", "không-phải-thư", "Giám đốc", "99999"],  # four problems in row 3
        ["xem.ketqua", "Phạm D", "", "Xem", "01840"],  # a viewer has no unit
        ["canbo.tanthinh", "Lặp", "", "Cán bộ đơn vị", ""],  # twice, and an officer without a unit
        ["canbo.so", "", "", "Cán bộ đơn vị", "Sở Khoa học và Công nghệ"],  # in every province
    ]
    response = upload(client, "tai-khoan.xlsx", xlsx(bad), XLSX)
    assert response.status_code == 422
    problems = re.findall(r"<li>([^<]+)</li>", response.text.split('id="problems"', 1)[1].split("</ul>", 1)[0])
    assert "Dòng 3, cột «Tên đăng nhập»: tên đăng nhập gồm 2–64 chữ không dấu, chữ số và các dấu . _ @ -" in problems
    assert "Dòng 3, cột «Thư điện tử»: địa chỉ thư điện tử không hợp lệ (ví dụ ten@example.vn)." in problems
    assert any(p.startswith("Dòng 3, cột «Vai trò»: Vai trò không có: Giám đốc.") for p in problems)
    assert "Dòng 3, cột «Đơn vị»: Không có đơn vị «99999»; ghi mã đơn vị (ví dụ 01840) hoặc đúng tên đơn vị." in (
        problems
    )
    assert any(p.startswith("Dòng 4, cột «Đơn vị»: Chỉ cán bộ đơn vị") for p in problems)
    assert "Dòng 5, cột «Tên đăng nhập»: tên đăng nhập «canbo.tanthinh» đã có ở dòng 2." in problems
    assert "Dòng 5, cột «Đơn vị»: Cán bộ đơn vị cần có đơn vị kê khai." in problems
    assert "Dòng 6, cột «Đơn vị»: «Sở Khoa học và Công nghệ» là tên của nhiều đơn vị (01-SKHCN, 04-SKHCN, " in (
        response.text
    )
    assert "Chưa tạo tài khoản nào: tệp có 8 lỗi" in response.text
    assert users_of(client) == before  # all or nothing
    assert not audit_actions(published, "account.import")
    assert "Đăng xuất" in response.text  # the administration page, logged in


def test_an_import_creates_accounts_that_must_change_their_temporary_password(published):
    admin = published.client("admin")
    rows = [",".join(HEADER), *[",".join(r) for r in GOOD]]
    response = upload(admin, "tai-khoan.csv", "\n".join(rows).encode("utf-8"), "text/csv")
    assert response.status_code == 200, response.text[:2000]
    assert "Đã nhập tài khoản từ tệp." in response.text
    shown = dict(re.findall(r"<tr><td>([\w.]+)</td>.*?<code>([\w-]+)</code></td></tr>", response.text))
    assert set(shown) == {"canbo.tanthinh", "canbo.skhcn2", "xem.ketqua"}
    assert {"canbo.tanthinh", "canbo.skhcn2", "xem.ketqua"} <= users_of(admin)
    page = admin.get("/admin").text
    assert "Sở Khoa học và Công nghệ" in page and "Phải đổi mật khẩu khi đăng nhập" in page
    assert shown["canbo.tanthinh"] not in page  # shown once only
    entry = audit_actions(published, "account.import")[0]
    assert entry.actor == "admin" and entry.after["accounts"] == ["canbo.tanthinh", "canbo.skhcn2", "xem.ketqua"]
    assert len(audit_actions(published, "account.create")) >= 3

    officer = published.client()
    token = csrf_of(officer)
    first = officer.post(
        "/login", data={"user": "canbo.tanthinh", "password": shown["canbo.tanthinh"], "csrf_token": token}
    )
    assert first.status_code == 303 and first.headers["location"].startswith("/account/password")
    held = officer.get("/tasks")  # nothing else opens before the password is changed
    assert held.status_code == 303 and held.headers["location"] == "/account/password?next=%2Ftasks"
    form = officer.get("/account/password").text
    assert "mật khẩu tạm thời" in form
    mismatch = officer.post(
        "/account/password",
        data={"current": shown["canbo.tanthinh"], "new": "cay-tre-xanh-9", "confirm": "cay-tre-xanh-8",
              "csrf_token": csrf_of(officer, "/account/password")},
    )  # fmt: skip
    assert mismatch.status_code == 422 and "Hai lần nhập mật khẩu mới không giống nhau." in mismatch.text
    changed = officer.post(
        "/account/password",
        data={"current": shown["canbo.tanthinh"], "new": "cay-tre-xanh-9", "confirm": "cay-tre-xanh-9",
              "next": "/tasks", "csrf_token": csrf_of(officer, "/account/password")},
    )  # fmt: skip
    assert changed.status_code == 303 and changed.headers["location"] == "/tasks"
    assert officer.get("/tasks").status_code == 200  # still logged in, now free to go anywhere
    login(published.client(), "canbo.tanthinh", "cay-tre-xanh-9")


def test_the_template_downloads_opens_and_imports_back(published):
    admin = published.client("admin")
    response = admin.get("/admin/users/template.xlsx")
    assert response.status_code == 200 and response.headers["content-type"].startswith(XLSX)
    wb = load_workbook(io.BytesIO(response.content))
    sheet = wb["Tài khoản"]
    assert [c.value for c in sheet[1]] == HEADER
    assert ["Quản trị", "Administrator"] in [[c.value for c in r] for r in wb["Vai trò"].iter_rows()]
    sheet.delete_rows(2)
    sheet.append(GOOD[0])
    buffer = io.BytesIO()
    wb.save(buffer)
    imported = upload(admin, "mau.xlsx", buffer.getvalue(), XLSX)
    assert imported.status_code == 200 and "canbo.tanthinh" in users_of(admin)


def test_an_administrator_resets_a_password_shown_once_and_to_be_changed(published):
    admin = published.client("admin")
    response = admin.post("/admin/users/reset", data={"user": "lanhdao", "csrf_token": csrf_of(admin, "/admin")})
    assert response.status_code == 200 and "Đã đặt lại mật khẩu." in response.text
    temporary = re.search(r'<code id="temporary">([^<]+)</code>', response.text)
    assert temporary is not None
    entry = audit_actions(published, "account.password-reset")[0]
    assert entry.actor == "admin" and entry.entity_key == "lanhdao"
    old = published.client()
    refused = old.post("/login", data={"user": "lanhdao", "password": PASSWORD, "csrf_token": csrf_of(old)})
    assert refused.status_code == 401
    viewer = published.client()
    logged = viewer.post(
        "/login", data={"user": "lanhdao", "password": temporary.group(1), "csrf_token": csrf_of(viewer)}
    )
    assert logged.headers["location"].startswith("/account/password")
    posted = viewer.post("/admin/users", data={"user": "x", "csrf_token": csrf_of(viewer, "/account/password")})
    assert posted.status_code == 403  # a form elsewhere is refused too


def test_roles_by_name_deadlines_and_publish_disabled_with_its_reason(collecting):
    with collecting.session() as s:
        people = collecting.people
        results.compute(session=s, period_code=f.PERIOD, actor=people["admin"])
        collection.open_period(
            session=s,
            period_in=PeriodOpen(
                framework="department-2025",
                year=2025,
                units=(f.SKHCN,),
                opens_on=TODAY - dt.timedelta(days=20),
                closes_on=TODAY + dt.timedelta(days=3),
            ),
            actor=people["admin"],
        )
        s.commit()
    page = collecting.client("admin").get("/admin").text
    late = (TODAY - dt.date(2025, 11, 30)).days
    assert f"Quá hạn {late} ngày" in page and "Còn 3 ngày đến hạn" in page
    publish = re.search(r'<button id="publish-(\d+)" disabled aria-describedby="blocker-\1">', page)
    assert publish is not None, "the final run's Công bố is disabled"
    reason = re.search(rf'id="blocker-{publish.group(1)}">([^<]+)<', page)
    assert reason and "chưa được phê duyệt" in reason.group(1) and "Phường Đức Xuân" in reason.group(1)
    assert f.COMMUNE not in reason.group(1)
    users = page.split('id="users"', 1)[1].split("</table>", 1)[0]
    assert "Cán bộ chương trình (toàn tỉnh)" in users and "Cán bộ đơn vị" in users and "Phường Đức Xuân" in users
    shown = re.sub(r"<[^>]+>", " ", page)  # what is read, not the forms' values
    assert "programme_officer" not in shown and " officer " not in shown and "2025/commune-2025" not in shown
    english = collecting.client("admin").get("/admin?lang=en").text
    assert f"{late} day(s) past the deadline" in english and "Unit officer" in english

    # the officer of a commune is offered only periods that hold their commune
    with collecting.session() as s:
        codes = [p.code for p in dashboard.list_periods(session=s, actor=people["officer"], own_unit_only=True)]
        assert codes == [f.PERIOD]
        # the results of every period stay theirs to read (the overview, other units' profiles)
        assert len(dashboard.list_periods(session=s, actor=people["officer"])) == 2
        assert len(dashboard.list_periods(session=s, actor=people["admin"])) == 2
    declare = collecting.client("canbo.ducxuan").get("/declare").text
    assert "department-2025" not in declare


def test_the_csv_of_an_import_is_read_like_a_spreadsheet(published):
    admin = published.client("admin")
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["user", "name", "email", "role", "unit"])  # English headers are read too
    writer.writerow(["lanhdao", "", "", "Xem", ""])
    response = upload(admin, "a.csv", text.getvalue().encode("utf-8"), "text/csv")
    assert response.status_code == 422 and "Tài khoản «lanhdao» đã có." in response.text
