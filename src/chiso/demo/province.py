"""The province's own series that Resolution 01/NQ-TU's targets track, for the demo.

Published where FACTS.md §1 gives a figure (level-4 services 34.87 % in 2020 and 100 % of eligible
services in 2021; 52 % of households on fixed broadband in 2020; 70–80 % smartphones in 2021, recorded
as 75 %); derived from the demo's published commune declarations where the province's figure is an
aggregate of them (digital technology enterprises); simulated otherwise. From 2023 the work records
processed online at each level are measured from the document system's records instead
(`demo/measured.py`), as the programme's targets name them (`tracks.measured`). Each value's lineage
says which, and every simulated or derived-from-simulated one is labelled `simulated`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from chiso.permissions import Actor
from chiso.values import service as values
from chiso.values.schemas import ValueIn

PROVINCE = "19"
ERA = "2025"  # the province and its communes as they are since 1/7/2025 (the programme's unit)
SEEDS = "FACTS.md §1 (seeds 000, 001, 004)"
PUBLISHED: dict[str, dict[int, tuple[float, str]]] = {
    "level4_services_share": {
        2020: (0.3487, "34,87 % dịch vụ công mức độ 4 (seed 000)"),
        2021: (1.0, "100 % dịch vụ công đủ điều kiện ở mức độ 4 theo QĐ 402/QĐ-UBND (seeds 001, 004)"),
    },
    "households_fibre_share": {2020: (0.52, "52 % hộ gia đình dùng Internet băng rộng (seed 000)")},
    "smartphone_user_share": {2021: (0.75, "70–80 % dùng điện thoại thông minh (seed 001): ghi giữa khoảng")},
}
SIMULATED: dict[str, dict[int, float]] = {
    "smartphone_user_share": {2022: 0.8, 2023: 0.82, 2024: 0.87},
    "households_fibre_share": {2021: 0.6, 2022: 0.67, 2023: 0.73, 2024: 0.78},
    # 2023– are measured from the document system's records (demo/measured.py: measure_province)
    "work_records_online_share_province": {2021: 0.72, 2022: 0.8},
    "work_records_online_share_district": {2021: 0.58, 2022: 0.66},
    "work_records_online_share_commune": {2021: 0.33, 2022: 0.41},
    "digital_tech_enterprises": {2021: 410, 2022: 486},
}
# Digital technology enterprises in the province each year: split among the communes' declarations
# (their sum is the province's figure for the published years).
ENTERPRISES = {2023: 552, 2024: 618, 2025: 671}


def series(*, session: Session, actor: Actor, seed: int) -> int:
    """Record the published and simulated province-level figures; the number of new versions."""
    batch = []
    for variable, by_year in PUBLISHED.items():
        for year, (value, note) in by_year.items():
            lineage = {"simulated": False, "source": SEEDS, "note": note}
            batch.append(_value(variable, year, value, lineage, ""))
    for variable, sim in SIMULATED.items():
        for year, value in sim.items():
            lineage = {"simulated": True, "generator": "chiso.demo", "seed": seed}
            batch.append(_value(variable, year, float(value), lineage, "số liệu mô phỏng / simulated"))
    return len(values.record_many(session=session, values_in=batch, actor=actor))


def derived(*, session: Session, actor: Actor, year: int, period_code: str, communes: list[str]) -> int:
    """The province's aggregate of the communes' figures for a published year (digital enterprises)."""
    current = values.current(session=session, period=str(year), era=ERA, unit_codes=communes)

    def total(variable: str) -> float:
        return sum(v.value or 0.0 for (_, var), v in current.items() if var == variable)

    lineage = {"simulated": True, "derived_from": period_code, "units": len(communes)}
    batch = [
        _value(
            "digital_tech_enterprises",
            year,
            total("digital_tech_enterprises"),
            {**lineage, "method": "Σ digital_tech_enterprises"},
            "tổng hợp từ kê khai mô phỏng",
        ),
    ]
    return len(values.record_many(session=session, values_in=batch, actor=actor))


def split(total: int, weights: dict[str, float]) -> dict[str, int]:
    """`total` shared in proportion to `weights`, in whole numbers that add up (largest remainder)."""
    whole = sum(weights.values())
    exact = {k: total * w / whole for k, w in weights.items()}
    out = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: exact[k] - out[k], reverse=True)[: total - sum(out.values())]:
        out[k] += 1
    return out


def _value(variable: str, year: int, value: float, lineage: dict[str, object], note: str) -> ValueIn:
    return ValueIn(
        era=ERA,
        unit_code=PROVINCE,
        variable=variable,
        period=str(year),
        value=value,
        source="imported",
        lineage=lineage,
        note=note,
    )
