"""The province's DTI declaration through the services: the list checked, the departments' items, the
estimate by the shipped formulas, the workbook opened again, the comparison with published figures."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import func, select

import chiso
from chiso.collection import service as collection
from chiso.collection.models import FrameworkVersion
from chiso.demo import ministry as example
from chiso.errors import PermissionDenied
from chiso.framework import parse_framework
from chiso.ministry import export
from chiso.ministry import service as ministry
from chiso.ministry.models import ComponentList
from chiso.national import service as national
from chiso.permissions import Actor
from tests import factories as f
from tests.ministry import helpers as h


def test_the_example_list_agrees_with_the_2024_method():
    rows = example.example_rows(h.YEAR, h.PROVINCE)
    assert len(rows) == 47
    assert all(r["Ghi chú"].startswith("ví dụ minh họa") for r in rows)
    points: dict[str, float] = {}
    for r in rows:
        points[r["Chỉ số chính"]] = points.get(r["Chỉ số chính"], 0) + r["Điểm tối đa"]
    assert points == {m.name: m.max_points for m in ministry.components.method(h.YEAR).mains}


def test_a_list_that_disagrees_is_refused_with_every_mismatch(db_session, tmp_path):
    admin = f.people(db_session)["admin"]
    rows = example.example_rows(h.YEAR, h.PROVINCE)
    rows = [r for r in rows if r["Mã"] != "1.3"]  # awareness: 2 components, 67 points
    rows[3] = {**rows[3], "Điểm tối đa": 30}  # institutions: 4 components, 105 points
    rows[5] = {**rows[5], "Đơn vị chủ trì": "Sở Không Có"}
    rows[6] = {**rows[6], "Chỉ số chính": "Đô thị thông minh"}  # not a main indicator of the 2024 method
    path = h.example_file(tmp_path, rows=rows)
    before = db_session.scalar(select(func.count()).select_from(FrameworkVersion))
    with pytest.raises(ministry.ComponentListRefused) as refused:
        ministry.import_file(session=db_session, path=path, year=h.YEAR, province=h.PROVINCE, actor=admin)
    text = str(refused.value)
    assert "Sở Không Có" in text and "row 7" in text and "Đơn vị chủ trì" in text
    assert "Đô thị thông minh" in text and "row 8" in text
    # the rows themselves are wrong: the totals are checked once the rows are right
    original = {r["Mã"]: r for r in example.example_rows(h.YEAR, h.PROVINCE)}
    fixed = [r if i not in (5, 6) else original[r["Mã"]] for i, r in enumerate(rows)]
    with pytest.raises(ministry.ComponentListRefused) as refused:
        ministry.import_file(
            session=db_session, path=h.example_file(tmp_path, rows=fixed), year=h.YEAR, province=h.PROVINCE,
            actor=admin,
        )  # fmt: skip
    problems = [str(p) for p in refused.value.problems]
    assert len(problems) == 3, problems
    assert any("Nhận thức số: tổng điểm tối đa 67, phương pháp có 100" in p for p in problems)
    assert any("Thể chế số: tổng điểm tối đa 105, phương pháp có 100" in p for p in problems)
    assert any("46 chỉ số thành phần, phương pháp có 47" in p for p in problems)
    assert db_session.scalar(select(func.count()).select_from(FrameworkVersion)) == before
    assert db_session.scalar(select(func.count()).select_from(ComponentList)) == 0


def test_the_922_method_checks_the_count_of_each_main_indicator(tmp_path):
    rows = [
        {"Chỉ số chính": "Nhận thức số", "Mã": "1.1", "Tên": "Ví dụ", "Điểm tối đa": "100", "Đơn vị chủ trì": "SKHCN"}
    ]
    read = ministry.components.read_rows(rows, list(rows[0]), year=2023, province=h.PROVINCE)
    problems = [str(p) for p in read.problems]
    assert any("Nhận thức số: 1 chỉ số thành phần, phương pháp có 10" in p for p in problems)
    assert any("Thể chế số: 0 chỉ số thành phần, phương pháp có 11" in p for p in problems)
    assert any("1 chỉ số thành phần, phương pháp có 98" in p for p in problems)


def test_missing_columns_are_named(tmp_path):
    read = ministry.components.read_rows([{"Mã": "1.1"}], ["Mã", "Cột lạ"], year=h.YEAR, province=h.PROVINCE)
    text = " ".join(str(p) for p in read.problems)
    assert "Chỉ số chính" in text and "Điểm tối đa" in text and "Đơn vị chủ trì" in text


def test_the_declaration_round_trip(db_session, tmp_path):
    people = f.people(db_session)
    admin, appraiser = people["admin"], people["appraiser"]
    stored = ministry.import_file(
        session=db_session, path=h.example_file(tmp_path), year=h.YEAR, province=h.PROVINCE, actor=admin
    )
    assert stored.framework_version.code == "dti-components-2025" and len(stored.rows) == 47
    assert "Ghi chú" in stored.columns  # an unknown column, kept
    leads = ministry.assignments(stored)
    assert set(leads) == {"19-VPUBND", "19-SNV", "19-SKHCN", "19-SCT", "19-SYT", "19-SGDDT"}
    period = ministry.open_declaration(
        session=db_session, year=h.YEAR, opens_on=h.OPENS, closes_on=h.CLOSES, actor=admin
    )
    # each department holds only the components it leads
    for submission in collection.submissions(session=db_session, period=period):
        items = collection.items(session=db_session, submission=submission)
        assert sorted(i.indicator_code for i in items) == sorted(leads[submission.unit_code])
    h.declare_and_appraise(db_session, admin, appraiser)

    est = ministry.estimate(session=db_session, year=h.YEAR, actor=appraiser)
    expected = h.expected_mains()
    assert {m.code: round(m.value, 12) for m in est.mains} == {k: round(v, 12) for k, v in expected.items()}
    assert expected["awareness"] == pytest.approx(0.5) and expected["gov_activity"] == pytest.approx(0.25)
    # the DTI and pillars are the shipped framework's, given these main indicators
    shipped = national.framework(h.YEAR)
    given = pd.DataFrame([{"unit": "19", "period": "2025", **expected}])
    scores = chiso.score(shipped, given, period_column="period").scores.iloc[0]
    assert est.dti == pytest.approx(float(scores["dti"]))
    assert {c: v for c, _n, v in est.pillars} == pytest.approx(
        {p: float(scores[p]) for p in ("government", "economy", "society")}
    )
    assert est.by_state == {"approved": 47} and not est.unscored

    out = tmp_path / "ke-khai.xlsx"
    export.write(session=db_session, year=h.YEAR, path=out, actor=appraiser)
    wb = load_workbook(out)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[: len(example.COLUMNS)] == example.COLUMNS
    assert header[len(example.COLUMNS) :] == [label for _, label in export.DECLARED]
    components = {c.code: c for c in ministry.declaration(session=db_session, year=h.YEAR, actor=appraiser)}
    rows = example.example_rows(h.YEAR, h.PROVINCE)
    assert ws.max_row == len(rows) + 1
    for r, row in enumerate(rows, start=2):
        cells = dict(zip(header, [c.value for c in ws[r]], strict=True))
        for column in example.COLUMNS:  # the list as imported, field by field
            want = row[column]
            assert cells[column] == (f"{want:g}" if isinstance(want, float) else want), (r, column)
        number = row["Mã"]
        code = ministry.components.component_code(number)
        top = float(row["Điểm tối đa"])
        assert cells["Giá trị kê khai"] == h.figure(number)
        assert cells["Điểm tự chấm"] == h.self_score(top, number)
        assert cells["Điểm thẩm định"] == h.appraised(top, number)
        assert cells["Trạng thái"] == "Đã phê duyệt"
        unit = components[code].lead
        assert cells["Minh chứng (số hiệu – ngày – trích yếu)"] == (
            f"{number}/BC-{unit} – 10/03/2026 – {components[code].evidence[0][2]}"
        )
    assert wb["_chiso"]["B1"].value == export.SCHEMA
    summary = {row[1]: row[4] for row in wb[export.ESTIMATE_SHEET].iter_rows(min_row=2, values_only=True)}
    assert summary["DTI"] == pytest.approx(est.dti)
    wb.close()

    # the workbook reads back as the same component list (its declaration columns are kept, unknown)
    again = ministry.import_file(session=db_session, path=out, year=h.YEAR, province=h.PROVINCE, actor=admin)
    assert [(r["code"], r["lead"]) for r in again.rows] == [(r["code"], r["lead"]) for r in stored.rows]
    first, second = (parse_framework(yaml.safe_load(x.framework_version.document)).indicators for x in (stored, again))
    assert first == second

    # before publication: no published figures; after: the gaps per main indicator
    before = ministry.comparison(session=db_session, year=h.YEAR, actor=appraiser)
    assert not before.published and all(line.gap is None for line in before.mains)
    h.publish(db_session, admin)
    after = ministry.comparison(session=db_session, year=h.YEAR, actor=appraiser)
    gaps = {line.code: line.gap for line in after.mains}
    assert gaps == pytest.approx({k: expected[k] - v for k, v in h.PUBLISHED.items()})
    assert after.dti.published is not None and after.rank is not None


def test_only_the_office_imports_and_officers_do_not_read_the_estimate(db_session, tmp_path):
    people = f.people(db_session)
    with pytest.raises(PermissionDenied):
        ministry.import_file(
            session=db_session, path=h.example_file(tmp_path), year=h.YEAR, province=h.PROVINCE,
            actor=people["appraiser"],
        )  # fmt: skip
    example.load(session=db_session, admin=people["admin"])
    with pytest.raises(PermissionDenied):
        ministry.declaration(session=db_session, year=h.YEAR, actor=Actor("x", frozenset({"officer"}), "19-SKHCN"))


def test_an_assessed_component_has_no_score_without_a_persons(tmp_path):
    import numpy as np

    from chiso.engine import Panel, run
    from chiso.framework.describe import rule_in_words

    read = ministry.components.read_rows(example.example_rows(), example.COLUMNS, year=h.YEAR, province=h.PROVINCE)
    fw = ministry.components.compose(year=h.YEAR, province=h.PROVINCE, rows=read.rows, source="x.xlsx")
    figures = {v: np.array([[5.0]]) for v in fw.variables}
    alone = run(fw, Panel.from_arrays(["19"], ["2025"], figures))
    assert np.isnan(alone.values["tp1_1"][0, 0])  # a figure is not points
    assert np.isnan(alone.values["awareness"][0, 0])  # nor does its main indicator get one
    given = {"tp1_1": np.array([[34.0]])}
    scored = run(fw, Panel.from_arrays(["19"], ["2025"], figures, given=given))
    assert scored.values["awareness"][0, 0] == pytest.approx(0.34)
    vi, en = rule_in_words(fw.node("tp1_1"))  # type: ignore[arg-type]
    assert "tự chấm" in vi and "not published" in en


def test_assignments_name_units_and_indicators_of_the_period(db_session):
    from chiso.collection.schemas import PeriodOpen
    from chiso.errors import NotFound

    admin = f.people(db_session)["admin"]
    with pytest.raises(NotFound, match="19-SCT, c9_9"):
        collection.open_period(
            session=db_session,
            period_in=PeriodOpen(
                framework="commune-2025", year=2025, units=(f.COMMUNE,), opens_on=h.OPENS, closes_on=h.CLOSES,
                assigned={f.COMMUNE: ("c1_1",), "19-SCT": ("c9_9",)},
            ),
            actor=admin,
        )  # fmt: skip


def test_a_922_list_of_98_components_composes_smart_city_included():
    import numpy as np

    from chiso.engine import Panel, run

    spec = ministry.components.method(2023)
    rows = []
    for i, main in enumerate(spec.mains, start=1):  # the main indicator by its position in the method
        count = spec.per_main[main.code]
        base, extra = divmod(int(main.max_points or 0), count)
        rows += [
            {"Chỉ số chính": str(i), "Mã": f"{i}.{j + 1}", "Tên": f"Thành phần {i}.{j + 1}",
             "Điểm tối đa": base + (1 if j < extra else 0), "Đơn vị chủ trì": "SKHCN"}
            for j in range(count)
        ]  # fmt: skip
    read = ministry.components.read_rows(rows, list(rows[0]), year=2023, province=h.PROVINCE)
    assert not read.problems and len(read.rows) == 98
    fw = ministry.components.compose(year=2023, province=h.PROVINCE, rows=read.rows, source="922.xlsx")
    figures = {v: np.array([[1.0]]) for v in fw.variables}
    full = {i.code: np.array([[i.max_points]]) for i in fw.indicators}
    result = run(fw, Panel.from_arrays(["19"], ["2023"], figures, given=full))
    assert result.values["dti"][0, 0] == pytest.approx(1.0) and result.values["smart_city"][0, 0] == 0
