"""The demo's example DTI component list (ví dụ minh họa): never the Ministry's.

The Ministry's component indicators are not public (../shared/domain/DTI_COMPONENTS.md), so the demo
builds a list of the right shape from the items of the commune and department sets that Chiso ships:
the 2024– method's 47 components under its 8 main indicators, each main indicator's points split evenly
among its components, each component led by a department of the province. Every row says where it comes
from and that it is an example; the list and its framework carry the note "ví dụ minh họa".
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import resources
from typing import Any

import yaml
from sqlalchemy.orm import Session

from chiso.framework import Framework, Indicator, parse_framework
from chiso.framework.describe import rule_in_words
from chiso.ministry import components
from chiso.ministry import service as ministry
from chiso.ministry.models import ComponentList
from chiso.permissions import Actor

YEAR = 2025
SOURCE = "danh-muc-vi-du-minh-hoa.xlsx"
COLUMNS = [
    "Chỉ số chính",
    "Mã",
    "Tên chỉ số thành phần",
    "Đơn vị tính",
    "Cách đo",
    "Điểm tối đa",
    "Minh chứng yêu cầu",
    "Đơn vị chủ trì",
    "Ghi chú",
]
# Per main indicator: (framework, its items) in order, and the lead department of the items of each set.
ITEMS: dict[str, list[tuple[str, int | None]]] = {
    "awareness": [("department-2025", None)],
    "institutions": [("department-2025", None)],
    "infrastructure": [("department-2025", None), ("commune-2025", 4)],
    "human_resources": [("department-2025", None)],
    "cybersecurity": [("department-2025", None)],
    "gov_activity": [("department-2025", None), ("commune-2025", 5)],
    "econ_activity": [("department-2025", None), ("commune-2025", 3)],
    "society_activity": [("department-2025", None), ("commune-2025", 3)],
}
LEADS = {
    ("awareness", "department-2025"): "VPUBND",
    ("institutions", "department-2025"): "SNV",
    ("infrastructure", "department-2025"): "SKHCN",
    ("infrastructure", "commune-2025"): "SKHCN",
    ("human_resources", "department-2025"): "SNV",
    ("cybersecurity", "department-2025"): "SKHCN",
    ("gov_activity", "department-2025"): "VPUBND",
    ("gov_activity", "commune-2025"): "SKHCN",
    ("econ_activity", "department-2025"): "SCT",
    ("econ_activity", "commune-2025"): "SCT",
    ("society_activity", "department-2025"): "SYT",
    ("society_activity", "commune-2025"): "SGDDT",
}
SET_NAMES = {"department-2025": "bộ chỉ số sở, ban, ngành 2025", "commune-2025": "bộ chỉ số cấp xã 2025"}


@functools.lru_cache(maxsize=2)
def _shipped(code: str) -> Framework:
    """A shipped set, read with libyaml where it is there: the pure-Python reader took 2.5 s for the
    commune set on a busy machine, 0.08 s with libyaml (the files are Chiso's own, not a user's)."""
    text = (resources.files("chiso.framework.data") / f"{code}.yaml").read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return parse_framework(yaml.load(text, Loader=loader), f"{code} (shipped)")


def _split(total: float, parts: int) -> list[float]:
    """`total` points in `parts` whole numbers that add up to it, the larger ones first."""
    base, extra = divmod(int(total), parts)
    return [float(base + (1 if i < extra else 0)) for i in range(parts)]


def example_rows(year: int = YEAR, province: str = "19") -> list[dict[str, Any]]:
    """The example component list, as a file would hold it (one dict per row, keyed by COLUMNS)."""
    spec = components.method(year)
    sets = {code: _shipped(code) for code in SET_NAMES}
    rows = []
    for position, main in enumerate(spec.mains, start=1):
        picked: list[tuple[str, Indicator]] = []
        for set_code, limit in ITEMS[main.code]:
            fw = sets[set_code]
            group = fw.node(main.code)
            children = [fw.node(c.code) for c in getattr(group, "children", ())]
            picked += [(set_code, n) for n in children[:limit] if isinstance(n, Indicator)]
        for j, ((set_code, item), points) in enumerate(
            zip(picked, _split(main.max_points or 0, len(picked)), strict=True), start=1
        ):
            fw = sets[set_code]
            rule_vi, _en = rule_in_words(item, fw.pipeline.normalise, framework=fw)
            rows.append(
                {
                    "Chỉ số chính": main.name,
                    "Mã": f"{position}.{j}",
                    "Tên chỉ số thành phần": item.name,
                    "Đơn vị tính": item.unit,
                    "Cách đo": f"{rule_vi} (quy tắc của {SET_NAMES[set_code]}, quy đổi theo tỷ lệ về {points:g} điểm)",
                    "Điểm tối đa": points,
                    "Minh chứng yêu cầu": item.evidence,
                    "Đơn vị chủ trì": f"{province}-{LEADS[(main.code, set_code)]}",
                    "Ghi chú": f"{ministry.EXAMPLE_NOTE}: chỉ số {item.number} của {SET_NAMES[set_code]},"
                    " không phải danh mục của Bộ",
                }
            )
    return rows


def load(*, session: Session, admin: Actor, province: str = "19", year: int = YEAR) -> ComponentList:
    """Import the example list for the demo's province (its framework marked "ví dụ minh họa")."""
    rows = example_rows(year, province)
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    return ministry.import_rows(
        session=session,
        year=year,
        province=province,
        columns=COLUMNS,
        records=rows,
        source=SOURCE,
        digest=digest,
        actor=admin,
        note=ministry.EXAMPLE_NOTE,
    )
