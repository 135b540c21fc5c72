"""Issue 11, item 2: numbers round-trip. What a form shows reads back to the same value; a number that
reads two ways (1.234) is refused with both readings, never guessed; imports say how they read."""

from __future__ import annotations

import contextlib
import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from tests.factories import COMMUNE, OTHER, PERIOD, open_period, people

from chiso.collection import exchange, workbook
from chiso.collection import service as collection
from chiso.collection.evidence import FileStore
from chiso.collection.schemas import DeclarationIn
from chiso.collection.validation import RangeRule, load_rules
from chiso.framework import Framework, load_framework
from chiso.framework.spec import BooleanRule, PointsRule, TiersRule
from chiso.values import service as values

FRAMEWORKS = [load_framework(code) for code in ("commune-2025", "department-2025")]
COMMUNE_FW = FRAMEWORKS[0]
SHARES = {"digital_economy_share", "ecommerce_retail_share"}


# --- the number module -----------------------------------------------------------------------------


def test_both_notations_and_plain_numbers_are_read():
    from chiso.numbers import parse

    cases = {
        "1.234.567,5": 1234567.5, "1,234,567.5": 1234567.5, "1234567.5": 1234567.5, "1234567,5": 1234567.5,
        "1.234.567": 1234567, "1,234,567": 1234567, "42127": 42127, "0,5": 0.5, "0.5": 0.5, "0,123": 0.123,
        "1.234,5": 1234.5, "1,234.5": 1234.5, "12,5": 12.5, "12.34": 12.34, "1234,567": 1234.567,
        "1 234 567,5": 1234567.5, "1\u00a0234": 1234, "-1.234,5": -1234.5, "\u22125": -5, " 7 ": 7, "": None,
    }  # fmt: skip
    assert {text: parse(text) for text in cases} == cases


@pytest.mark.parametrize("text", ["1.234", "1,234", "42.127", "-1.234", "999,999", "1 234.567"])
def test_a_number_that_reads_two_ways_is_refused_with_both_readings(text):
    from chiso.numbers import AmbiguousNumber, parse

    with pytest.raises(AmbiguousNumber) as caught:
        parse(text)
    message = str(caught.value)
    assert message.startswith(f"«{text}» đọc được hai cách: ") and " / " in message
    assert "phân nhóm" in message and "thập phân" in message and "reads two ways" in message


def test_the_refusal_says_the_vietnamese_reading_first():
    from chiso.numbers import AmbiguousNumber, parse

    with pytest.raises(AmbiguousNumber) as caught:
        parse("1.234")
    assert str(caught.value).startswith(
        "«1.234» đọc được hai cách: 1234 (dấu chấm phân nhóm) hoặc 1,234 (dấu chấm thập phân) — viết 1234"
    )
    with pytest.raises(AmbiguousNumber) as caught:
        parse("1,234")
    assert str(caught.value).startswith("«1,234» đọc được hai cách: 1,234 (dấu phẩy thập phân) hoặc 1234")


def test_a_declared_notation_settles_the_ambiguous_ones_only():
    from chiso.numbers import parse

    assert parse("1.234", notation="vi") == 1234 and parse("1.234", notation="en") == 1.234
    assert parse("1,234", notation="vi") == 1.234 and parse("1,234", notation="en") == 1234
    assert parse("0,5", notation="en") == 0.5 and parse("1,234.5", notation="vi") == 1234.5  # one reading


@pytest.mark.parametrize(
    "text", ["mười hai", "1.2.3", "1,23,4", "12..5", "1.234,5.6", "NaN", "Infinity", "1e400", "--5"]
)
def test_what_is_not_a_number_is_refused(text):
    from chiso.numbers import AmbiguousNumber, NumberRefused, parse

    with pytest.raises(NumberRefused) as caught:
        parse(text)
    assert not isinstance(caught.value, AmbiguousNumber)
    assert "không phải số / not a number" in str(caught.value)


def test_display_and_field_formats():
    from chiso.numbers import field, format

    assert format(1234567.5) == "1.234.567,5" and format(1234567.5, lang="en") == "1,234,567.5"
    assert format(0.80023, digits=4) == "0,8002" and format(1234.5, digits=2) == "1.234,50"
    assert format(42127) == "42.127" and format(-0.25) == "-0,25"
    assert field(42127.0) == "42127" and field(1234567.5) == "1234567,5" and field(1234567.5, lang="en") == "1234567.5"
    assert field(12.345) == "12,3450" and field(0.125) == "0,125" and field(None) == ""  # never of the ambiguous shape


def _strategy(fw: Framework, var: str) -> st.SearchStrategy[float]:
    """Values a unit may declare for `var`, from the rules and validation bounds that read it."""
    for ind in fw.indicators:
        rule = ind.scoring
        if var in ind.variables and isinstance(rule, TiersRule):
            return st.sampled_from([float(t.value) for t in rule.levels])
        if var in ind.variables and isinstance(rule, BooleanRule):
            return st.sampled_from([0.0, 1.0])
        if var in ind.variables and isinstance(rule, PointsRule):
            return st.floats(0, ind.max_points or 100, allow_nan=False)
    for rule in load_rules(fw.code).rules:
        if isinstance(rule, RangeRule) and var in rule.variables:
            return st.floats(rule.min or 0, rule.max if rule.max is not None else 1e12, allow_nan=False)
    counts = st.integers(0, 10**12).map(float)  # counts and money, large values ≥ 1e6 included
    return counts | st.floats(0, 1e12, allow_nan=False) | st.integers(0, 10**9).map(lambda n: n / 1000)


VARIABLES = [(fw.code, var) for fw in FRAMEWORKS for var in fw.variables]


@pytest.mark.parametrize(("code", "var"), VARIABLES, ids=[f"{code}:{var}" for code, var in VARIABLES])
@settings(max_examples=40)
@given(data=st.data())
def test_what_the_form_shows_reads_back_to_the_same_value(code, var, data):
    """Every variable of the shipped commune and department sets, with values its rules and bounds allow."""
    from chiso.numbers import AmbiguousNumber, field, format, parse

    fw = next(f for f in FRAMEWORKS if f.code == code)
    value = data.draw(_strategy(fw, var), label=var)
    for lang in ("vi", "en"):
        assert parse(field(value, lang=lang)) == value
        with contextlib.suppress(AmbiguousNumber):  # the grouped display: read back exactly or refused
            assert parse(format(value, lang=lang)) == value


@settings(max_examples=500)
@given(value=st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**15), 10**15).map(float))
def test_every_finite_float_round_trips_through_the_form(value):
    from chiso.numbers import field, parse

    assert parse(field(value)) == value and parse(field(value, lang="en")) == value


# --- the declaration form, saved untouched ---------------------------------------------------------


class _Forms(HTMLParser):
    """The fields each `/declare/save` form of a page would send, as a browser sends them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._inside = False
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._inside = a.get("action") == "/declare/save"
            if self._inside:
                self.forms.append({})
        elif tag == "option" and self._inside and self._select:
            # a browser sends the selected option, else the first one
            if "selected" in a or self._select not in self.forms[-1]:
                self.forms[-1][self._select] = a.get("value") or ""
        elif not self._inside or not a.get("name"):
            return
        elif tag == "select":
            self._select = a["name"]
        elif tag == "input" and a.get("type") == "checkbox":
            if "checked" in a:
                self.forms[-1][a["name"]] = a.get("value") or "on"
        elif tag == "input" and a.get("type") != "file":
            self.forms[-1][a["name"]] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = a["name"]
            self.forms[-1][a["name"]] = ""

    def handle_data(self, data):
        if self._textarea:
            self.forms[-1][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._inside = False


COUNTS = [42127, 1234567, 98765, 12345678, 1000, 350, 7, 2500000, 123456, 4321, 15, 999999]
MONEY = [1234567.5, 12.345, 987.654321, 4500.25, 25000000.75]


def _declared_figures(fw: Framework) -> dict[str, float]:
    """One realistic figure per variable: counts past a million, money with decimals, shares, levels."""
    figures: dict[str, float] = {}
    for n, var in enumerate(fw.variables):
        readers = [i for i in fw.indicators if var in i.variables]
        rule = readers[0].scoring
        if var in SHARES:
            figures[var] = 0.125 if n % 2 else 0.0875
        elif isinstance(rule, TiersRule):
            figures[var] = 2 if n % 2 else 1
        elif isinstance(rule, BooleanRule):
            figures[var] = 1
        elif isinstance(rule, PointsRule):
            figures[var] = 7.5
        elif "spending" in var:
            figures[var] = MONEY[n % len(MONEY)]
        else:
            figures[var] = COUNTS[n % len(COUNTS)]
    return figures


def _stored(site, unit: str) -> tuple[dict[str, float | None], dict[str, float | None]]:
    with site.session() as s:
        period = collection.get_period(session=s, code=PERIOD)
        current = values.current(session=s, period=period.value_period, era=period.era, unit_codes=[unit])
        submission = collection.get_submission(session=s, period=period, unit_code=unit)
        scores = {i.indicator_code: i.self_score for i in collection.items(session=s, submission=submission)}
        return {var: v.value for (_, var), v in current.items()}, scores


def test_saving_every_item_untouched_changes_no_figure(collecting):
    """The officer of OTHER declared every item; pressing "Lưu nháp" on each, untouched, keeps every value."""
    officer = collecting.people["other"]
    figures = _declared_figures(COMMUNE_FW)
    with collecting.session() as s:
        for ind in COMMUNE_FW.indicators:
            item_in = DeclarationIn(
                indicator=ind.code,
                values={v: figures[v] for v in ind.variables},
                self_score=round((ind.max_points or 10) * 0.615, 2),
                explanation="Số liệu năm 2025",
            )
            collection.declare(session=s, period_code=PERIOD, unit_code=OTHER, item_in=item_in, actor=officer)
        s.commit()
    before = _stored(collecting, OTHER)
    assert before[0] == figures and max(figures.values()) >= 1_000_000

    client = collecting.client("canbo.backan")
    page = client.get(f"/declare?period={PERIOD}&unit={OTHER}")
    parser = _Forms()
    parser.feed(page.text)
    assert len(parser.forms) == len(COMMUNE_FW.indicators)
    refused = {}
    for form in parser.forms:
        response = client.post("/declare/save", data=form, files={"file": ("", b"", "application/octet-stream")})
        if response.status_code != 303:
            found = re.search(r'field-error" role="alert">([^<]*)<', response.text)
            refused[form["indicator"]] = (response.status_code, found.group(1) if found else "")
    after = _stored(collecting, OTHER)
    changed = {v: (before[0][v], after[0][v]) for v in figures if after[0][v] != before[0][v]}
    scores = {i: (before[1][i], after[1][i]) for i in before[1] if after[1][i] != before[1][i]}
    summary = f"{len(refused)} items refused, {len(changed)} figures and {len(scores)} self-scores changed"
    assert (refused, changed, scores) == ({}, {}, {}), f"{summary}: {refused} {changed} {scores}"


def test_a_typed_number_that_reads_two_ways_is_refused_on_the_form(collecting):
    client = collecting.client("canbo.backan")
    page = client.get(f"/declare?period={PERIOD}&unit={OTHER}")
    parser = _Forms()
    parser.feed(page.text)
    form = next(f for f in parser.forms if f["indicator"] == "c1_2")
    before = _stored(collecting, OTHER)[0]
    form.update({"v:population": "42.127", "v:population_5g_covered": "40000"})
    response = client.post("/declare/save", data=form)
    assert response.status_code == 422
    assert "«42.127» đọc được hai cách: 42127 (dấu chấm phân nhóm) hoặc 42,127 (dấu chấm thập phân)" in response.text
    assert _stored(collecting, OTHER)[0] == before
    form.update({"v:population": "42127", "v:population_5g_covered": "1.000.000"})  # one reading each
    assert client.post("/declare/save", data=form).status_code == 303
    stored = _stored(collecting, OTHER)[0]
    assert (stored["population"], stored["population_5g_covered"]) == (42127, 1_000_000)


# --- imports ---------------------------------------------------------------------------------------


@pytest.fixture
def setup(db_session, tmp_path):
    p = people(db_session)
    open_period(db_session, p["admin"])
    return db_session, p, FileStore(tmp_path / "evidence", 1_000_000)


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    columns = list(dict.fromkeys(["unit", "period", "indicator", "evidence", *(k for r in rows for k in r)]))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({"unit": COMMUNE, "period": PERIOD, "evidence": "15/BC-UBND – 01/10/2025 – Số liệu", **row})
    return path


def _import(s, p, files, path, **kw):
    return exchange.import_file(
        session=s, path=path, period_code=PERIOD, unit_code=COMMUNE, actor=p["officer"], files=files, **kw
    )


def _current(s) -> dict[str, float | None]:
    period = collection.get_period(session=s, code=PERIOD)
    return {
        var: v.value
        for (_, var), v in values.current(
            session=s, period=period.value_period, era=period.era, unit_codes=[COMMUNE]
        ).items()
    }


def test_a_csv_reads_each_notation_and_says_so(setup, tmp_path):
    s, p, files = setup
    path = _csv(
        tmp_path / "ke-khai.csv",
        [
            {"indicator": "c4_7", "dx_spending": "1,234.5", "budget_spending": "1.234.567,5"},
            {"indicator": "c1_2", "population_5g_covered": "1 000 000", "population": "1234567"},
        ],
    )
    report = _import(s, p, files, path)
    stored = _current(s)
    assert (stored["dx_spending"], stored["budget_spending"]) == (1234.5, 1234567.5)
    assert (stored["population_5g_covered"], stored["population"]) == (1_000_000, 1234567)
    assert "1 ô kiểu Việt Nam (1.234,5), 1 ô kiểu quốc tế (1,234.5)" in report.numbers
    assert "1 in Vietnamese notation (1.234,5), 1 in English notation (1,234.5)" in report.numbers


def test_an_ambiguous_cell_is_a_problem_with_its_place(setup, tmp_path):
    s, p, files = setup
    path = _csv(
        tmp_path / "ke-khai.csv",
        [
            {"indicator": "c4_7", "dx_spending": "1,234.5", "budget_spending": "1.234.567,5"},
            {"indicator": "c1_2", "population_5g_covered": "40000", "population": "42.127"},
        ],
    )
    with pytest.raises(exchange.ImportRefused) as caught:
        _import(s, p, files, path)
    errors = [x for x in caught.value.problems if x.severity == "error"]
    assert [(e.sheet, e.row, e.column) for e in errors] == [("ke-khai.csv", 3, "population")]
    assert "42127 (dấu chấm phân nhóm) hoặc 42,127 (dấu chấm thập phân)" in errors[0].message
    assert _current(s) == {}  # nothing applied

    report = _import(s, p, files, path, notation="vi")  # the officer says the file is in Vietnamese notation
    assert _current(s)["population"] == 42127
    assert "kiểu Việt Nam" in report.numbers.split("/")[0] and "1.234 = 1234" in report.numbers


def test_xlsx_numbers_are_numbers_and_text_cells_are_read(setup, tmp_path):
    s, p, files = setup
    path = tmp_path / "ke-khai.xlsx"
    exchange.template(session=s, period_code=PERIOD, unit_code=COMMUNE, actor=p["officer"], path=path)
    wb = load_workbook(path)
    ws = wb[workbook.SHEET]
    for row in range(workbook.FIRST_ROW, ws.max_row + 1):
        code = ws[f"A{row}"].value
        cells = {"c4_7": (1234.567, "1.234.567,5"), "c4_8": (1000, "1234567")}.get(code)
        if cells:
            ws[f"{workbook.COLUMN['value1']}{row}"], ws[f"{workbook.COLUMN['value2']}{row}"] = cells
            ws[f"{workbook.COLUMN['evidence']}{row}"] = "15/BC-UBND – 01/10/2025 – Số liệu"
    wb.save(path)
    report = _import(s, p, files, path)
    stored = _current(s)
    assert (stored["dx_spending"], stored["budget_spending"]) == (1234.567, 1234567.5)
    assert (stored["dx_spending_recurrent"], stored["budget_spending_recurrent"]) == (1000, 1234567)
    assert "2 ô số" in report.numbers and "2 number cells" in report.numbers
    assert "1 ô kiểu Việt Nam (1.234,5)" in report.numbers


def test_the_cli_says_how_it_read_the_numbers(cli, cli_env, tmp_path):
    def ok(result):
        assert result.exit_code == 0, result.output + result.stderr
        return result.stdout

    ok(cli("db", "upgrade", "--admin", "admin"))
    ok(
        cli(
            "period", "open", "--framework", "commune-2025", "--year", "2025", "--unit", COMMUNE,
            "--opens", "2025-09-01", "--closes", "2025-11-30", "--officer", f"{COMMUNE}=canbo", "--as", "admin",
        )
    )  # fmt: skip
    path = _csv(
        tmp_path / "ke-khai.csv", [{"indicator": "c1_2", "population_5g_covered": "4000", "population": "42.127"}]
    )
    refused = cli("collect", "import", path, "--period", PERIOD, "--as", "canbo")
    assert refused.exit_code == 2 and "42127 (dấu chấm phân nhóm)" in refused.stderr and "--numbers" in refused.stderr
    out = ok(cli("collect", "import", path, "--period", PERIOD, "--numbers", "vi", "--as", "canbo"))
    assert "kiểu Việt Nam" in out and "Vietnamese notation" in out

    # the CSV export writes numbers that read one way only, so it imports back to no change
    spending = {"indicator": "c4_7", "dx_spending": "123,4560", "budget_spending": "1.234.567,5"}
    ok(cli("collect", "import", _csv(tmp_path / "chi.csv", [spending]), "--period", PERIOD, "--as", "canbo"))
    ok(cli("collect", "export", "--period", PERIOD, "--out", tmp_path / "all.csv", "--as", "canbo"))
    out = ok(cli("collect", "import", tmp_path / "all.csv", "--period", PERIOD, "--as", "canbo"))
    assert "0 items changed" in out
