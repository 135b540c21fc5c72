"""A short account of what the demo database holds, read back through the services."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from chiso import units
from chiso.actors import service as actors
from chiso.collection import service as collection
from chiso.collection.models import CollectionPeriod
from chiso.demo.builder import PROVINCE, built_options, counts
from chiso.framework.describe import number
from chiso.national import service as national
from chiso.programme import tasks
from chiso.results import service as results


def summary_lines(session: Session, *, today: dt.date) -> list[str]:
    options = built_options(session)
    if not options:
        return ["Cơ sở dữ liệu chưa có bản demo / no demo in this database (chiso demo build)"]
    admin = actors.get_by_user(session=session, user="admin")
    found = counts(session)
    lines = [
        f"Bản demo: tỉnh Thái Nguyên ({PROVINCE}), seed {options['seed']} — "
        f"{found['declarations']:,} mục kê khai, {found['values']:,} giá trị, {found['audit_entries']:,} dòng nhật ký",
        "Kỳ thu thập / collection periods:",
    ]
    for period in session.scalars(select(CollectionPeriod).order_by(CollectionPeriod.year, CollectionPeriod.code)):
        scope = collection.submissions(session=session, period=period)
        states: dict[str, int] = {}
        for submission in scope:
            states[submission.state] = states.get(submission.state, 0) + 1
        detail = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
        lines.append(f"  {period.code:<22} {period.state:<10} {len(scope):>3} đơn vị ({detail})")
    published = [p for p in session.scalars(select(CollectionPeriod)) if p.state == "published"]
    latest = max((p for p in published if p.code.endswith("commune-2025")), key=lambda p: p.year, default=None)
    if latest is not None:
        run = results.latest(session=session, period_code=latest.code, variant="final", actor=admin)
        framework = collection.framework_of(latest)
        rows = sorted((r for r in run.rows if r.node == framework.index and r.rank), key=lambda r: r.rank or 0)
        top = "; ".join(f"{int(r.rank or 0)}. {_name(r.unit_code)} {number(r.value or 0)}" for r in rows[:3])
        lines.append(f"Xếp hạng xã, phường {latest.year} (đã công bố) / published commune ranking: {top} …")
    for year, era in ((2024, "2025"), (2022, "2024")):
        ranked = national.ranking(session=session, year=year, era=era)
        if not ranked.empty and PROVINCE in set(ranked["unit"]):
            mine = ranked[ranked["unit"] == PROVINCE].iloc[0]
            lines.append(
                f"DTI {year} ({len(ranked)} tỉnh): Thái Nguyên hạng {int(mine['rank'])}, DTI {number(mine['dti'])}"
            )
    late = tasks.overdue(session=session, actor=admin, today=today)
    lines.append(
        f"Kế hoạch ví dụ: {found['tasks']} nhiệm vụ, {len(late)} quá hạn tính đến {today:%d/%m/%Y} "
        "(chiso tasks overdue --as admin)"
    )
    lines.append("Tài khoản demo / demo accounts: chiso demo accounts")
    lines.append(
        "Mọi số liệu không công bố đều là mô phỏng, ghi 'simulated' trong nguồn gốc / every figure that is not "
        "published is simulated and says so in its lineage"
    )
    return lines


def _name(code: str) -> str:
    found = units.find(code, era="2025")
    return found[0].name if found else code
