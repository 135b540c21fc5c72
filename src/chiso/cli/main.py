"""Entry point of the `chiso` command: assembles one sub-command per noun.

Nouns are imported when used (`chiso.cli.lazy`): `chiso --help` and `chiso score` stay fast. Add a noun
as a `Lazy("chiso.cli.<noun>:app", "<its help line>")` entry; an eager `app.add_typer(...)` works too.
"""

from __future__ import annotations

import typer

from chiso.cli.lazy import Lazy, LazyGroup


def _units() -> typer.Typer:
    from chiso.cli import rollup, units

    if not any(c.name == "rollup" for c in units.app.registered_commands):
        units.app.command(name="rollup")(rollup.rollup)
    return units.app


def _chiso() -> None:
    # A callback makes `chiso` a group even before any noun is loaded.
    pass


app = typer.Typer(
    name="chiso",
    callback=_chiso,
    help="Chiso: bộ chỉ số chuyển đổi số — indicator frameworks, scoring, units, collection, results.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=LazyGroup.of(
        {
            "score": Lazy(
                "chiso.cli.score:score", "Chấm điểm, xếp hạng — score, rank and explain values with a framework."
            ),
            "sensitivity": Lazy(
                "chiso.cli.sensitivity:sensitivity",
                "Độ bất định, độ nhạy — rank intervals and Sobol indices over variants of a framework.",
            ),
            "serve": Lazy(
                "chiso.cli.serve:serve",
                "Chạy ứng dụng web — serve the web app and the API (http://127.0.0.1:8000 by default).",
            ),
            "framework": Lazy("chiso.cli.framework:app", "Bộ chỉ số — indicator frameworks."),
            "programme": Lazy(
                "chiso.cli.programme:app", "Chương trình, nghị quyết và chỉ tiêu — programmes and their targets."
            ),
            "tasks": Lazy("chiso.cli.tasks:app", "Kế hoạch, nhiệm vụ — plans, tasks and their progress."),
            "units": Lazy(_units, "Đơn vị hành chính — administrative units."),
            "sources": Lazy(
                "chiso.cli.sources:app", "Đo tự động từ dữ liệu nguồn — automatic measures from source records."
            ),
            "demo": Lazy("chiso.cli.demo:app", "Bản demo — the demo database for Thái Nguyên (province 19)."),
            "db": Lazy("chiso.cli.db:app", "Cơ sở dữ liệu — the database (migrations)."),
            "period": Lazy("chiso.cli.period:app", "Kỳ thu thập — collection periods."),
            "collect": Lazy("chiso.cli.collect:app", "Kê khai — declarations: template, import, export."),
            "review": Lazy("chiso.cli.review:app", "Thẩm định — appraisal of declarations."),
            "results": Lazy("chiso.cli.results:app", "Kết quả — result runs: compute, publish, show."),
            "users": Lazy("chiso.cli.users:app", "Tài khoản — accounts, roles and API tokens."),
            "hooks": Lazy("chiso.cli.hooks:app", "Webhook — push events (results, approvals, periods) to the IOC."),
            "worker": Lazy(
                "chiso.cli.hooks:worker",
                "Chạy tiến trình gửi sự kiện — keep provisional results live and push events to the webhooks.",
            ),
            "audit": Lazy("chiso.cli.audit:app", "Nhật ký kiểm toán — the audit log: list, export, verify."),
            "evidence": Lazy("chiso.cli.evidence:app", "Tệp minh chứng — stored evidence files."),
            "national": Lazy(
                "chiso.cli.national:app", "Chỉ số DTI các tỉnh — the provinces' national DTI: import, ranking."
            ),
            "report": Lazy("chiso.cli.report:app", "Báo cáo — reports (PDF, XLSX)."),
            "ministry": Lazy(
                "chiso.cli.ministry:app",
                "Kê khai DTI với Bộ — the province's DTI declaration: components, estimate, export.",
            ),
            "opendata": Lazy(
                "chiso.cli.opendata:app",
                "Dữ liệu mở — open data: the published results of a year as a data package.",
            ),
        }
    ),
)


if __name__ == "__main__":
    app()
