"""Rank intervals in the web app (issue 16, item 2): stored once with the final run, shown on the overview
and the unit profile, in the rankings API, never recomputed on a request, equal to `chiso.sensitivity`."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from urllib.parse import quote

import numpy as np
import pandas as pd
from sqlalchemy import select
from tests import factories as f

import chiso
from chiso.actors import service as actors
from chiso.collection import review
from chiso.collection import service as collection
from chiso.collection.schemas import DeclarationIn, PeriodOpen
from chiso.dashboard import rundata
from chiso.framework import load_shipped
from chiso.framework.sensitivity import parse_sensitivity
from chiso.results import intervals
from chiso.results import service as results
from chiso.results.models import RankInterval, RankIntervalSet, ResultRun
from chiso.uncertainty import analysis

NEXT = "2026/commune-2025"
Q = quote(NEXT, safe="")
# Eight communes of Thái Nguyên (`chiso units list --era 2025 --kind commune --province 19`).
UNITS = ("01840", "01843", "01849", "01864", "01879", "01882", "01894", "01906")


class Tables(HTMLParser):
    """The text of every cell of every table with an id, and the page's text outside tags."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.texts: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "table" and found.get("id"):
            self._table = found["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._table and self._cell is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        self.texts.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.texts).split())


def declarations(k: int) -> list[DeclarationIn]:
    """Units strong in different indicators, so that weights that vary reorder them."""
    return [
        DeclarationIn(
            indicator="c1_1",
            values={"fixed_broadband_users_gigabit": (37 * k) % 400, "fixed_broadband_users": 400},
            evidence=(f.doc(),),
        ),
        DeclarationIn(indicator="c3_5", values={"cyber_drill": k % 2}, evidence=(f.doc("22/KH-UBND"),)),
        DeclarationIn(indicator="c2_1", values={"dx_officer_level": (2 * k) % 3}, evidence=(f.doc("5/QĐ-UBND"),)),
    ]


def eight_communes(site, *, publish: bool = True) -> ResultRun:
    """A 2026 period of eight communes, every one declared, approved and computed (and published)."""
    people = site.people
    with site.session() as s:
        admin = people["admin"]
        collection.open_period(
            session=s,
            period_in=PeriodOpen(
                framework="commune-2025",
                year=2026,
                units=UNITS,
                opens_on=dt.date(2026, 9, 1),
                closes_on=dt.date(2026, 11, 30),
                code=NEXT,
            ),
            actor=admin,
        )
        for k, unit in enumerate(UNITS):
            officer = actors.ensure(session=s, user=f"canbo.t{unit}", roles={"officer"}, unit_code=unit, actor=admin)
            for item in declarations(k):
                collection.declare(session=s, period_code=NEXT, unit_code=unit, item_in=item, actor=officer)
            collection.submit(session=s, period_code=NEXT, unit_code=unit, actor=officer)
            review.accept(session=s, period_code=NEXT, unit_code=unit, actor=people["appraiser"])
            review.approve(session=s, period_code=NEXT, unit_code=unit, actor=people["appraiser"])
        final = next(r for r, _ in results.compute(session=s, period_code=NEXT, actor=admin) if r.variant == "final")
        if publish:
            results.publish(session=s, run_id=final.id, actor=admin)
        s.commit()
        return final


INTERVAL = re.compile(r"^(\d+)–(\d+)$")


def overview_rows(client, query: str = "") -> list[list[str]]:
    page = client.get(f"/?period={Q}{query}")
    assert page.status_code == 200, page.text[:300]
    return Tables(page.text).tables["ranking"]


def test_intervals_on_the_overview_the_profile_and_the_api(published):
    eight_communes(published)
    client = published.client()
    rows = overview_rows(client)
    assert rows[0][:3] == ["Hạng", "Khoảng hạng", "Đơn vị"]
    shown = {}
    for row in rows[1:]:
        rank = int(row[0])
        low, high = map(int, INTERVAL.match(row[1].split(" ")[0]).groups())
        assert low <= rank <= high
        shown[row[2]] = (rank, low, high)
    assert len(shown) == len(UNITS)
    assert any(high > low for _, low, high in shown.values()), "weights that vary move no rank: a useless test"
    page = client.get(f"/?period={Q}").text
    assert "±25 %" in page and "200 lần" in page
    body = client.get(f"/api/v1/rankings?period={Q}").json()
    by_name = {item["unit_name"]: item for item in body["items"]}
    assert {n: (i["rank"], i["rank_low"], i["rank_high"]) for n, i in by_name.items()} == shown
    assert body["intervals"] == {"draws": 200, "factor": 0.25}
    unit = next(i for i in body["items"] if i["rank_high"] > i["rank_low"])
    profile = Tables(client.get(f"/units/{unit['unit_code']}?period={Q}").text).text
    expected = (
        f"Hạng {unit['rank']} / {len(UNITS)}, khoảng {unit['rank_low']}–{unit['rank_high']} khi trọng số thay đổi ±25 %"
    )
    assert expected in profile
    english = client.get(f"/units/{unit['unit_code']}?period={Q}&lang=en").text
    assert f"range {unit['rank_low']}–{unit['rank_high']} when the weights vary by ±25%" in english
    # Ranked within a group, or on another node, the stored (overall, index) intervals do not apply.
    assert "Khoảng hạng" not in overview_rows(client, "&group=xa")[0]
    assert client.get(f"/api/v1/rankings?period={Q}&node=c1_1").json()["intervals"] is None


def test_intervals_are_computed_once_and_never_on_a_request(published, monkeypatch):
    calls = []
    original = analysis.evaluate

    def counted(*args, **kwargs):
        calls.append(args[-1])
        return original(*args, **kwargs)

    monkeypatch.setattr(analysis, "evaluate", counted)
    run = eight_communes(published)
    assert len(calls) == 1  # when the final run was published; computing the runs ran none
    client = published.client("admin")
    pages = []
    for _ in range(3):
        pages.append(
            (
                overview_rows(client),
                client.get(f"/api/v1/rankings?period={Q}").json()["items"],
                Tables(client.get(f"/units/{UNITS[3]}?period={Q}").text).text,
            )
        )
    assert len(calls) == 1 and pages[0] == pages[1] == pages[2]
    with published.session() as s:  # computing again finds the run: its intervals are those stored
        again = results.compute(session=s, period_code=NEXT, actor=published.people["admin"])
        assert [created for _, created in again] == [False, False, False]
        stored = s.scalars(select(RankInterval).where(RankInterval.run_id == run.id)).all()
        assert len(stored) == len(UNITS) and len(calls) == 1


def test_intervals_equal_chiso_sensitivity_with_the_same_spec(published):
    run = eight_communes(published)
    with published.session() as s:
        head = s.get(RankIntervalSet, run.id)
        stored = {r.unit_code: r for r in s.scalars(select(RankInterval).where(RankInterval.run_id == run.id))}
        data = rundata.load(s, s.get(ResultRun, run.id))
        framework = collection.framework_of(collection.get_period(session=s, code=NEXT))
    spec = parse_sensitivity(head.spec)
    assert spec == intervals.spec_for(framework) and head.draws == spec.n == 200 and head.factor == 0.25
    # The run's indicator scores as given values: a table `chiso score` (and `chiso.sensitivity`) reads.
    table = pd.DataFrame({"unit": list(data.units), **{i.code: data.values[i.code] for i in framework.indicators}})
    expected = chiso.sensitivity(framework, table, spec).rank_stats.set_index("unit")
    for unit, row in stored.items():
        assert (row.rank, row.q05, row.median, row.q95) == tuple(
            expected.loc[unit, ["nominal_rank", "q5", "median", "q95"]]
        )
        assert row.rank == data.rank(framework.index, unit)
    assert np.ptp([r.q95 - r.q05 for r in stored.values()]) > 0


def test_a_provisional_run_has_none_and_publishing_stores_them(published):
    run = eight_communes(published, publish=False)
    admin = published.client("admin")
    with published.session() as s:
        assert s.get(RankIntervalSet, run.id) is None
    assert "Khoảng hạng" not in overview_rows(admin)[0]  # the worker's live runs stay cheap
    assert admin.get(f"/api/v1/rankings?period={Q}").json()["intervals"] is None
    with published.session() as s:
        results.publish(session=s, run_id=run.id, actor=published.people["admin"])
        s.commit()
    rows = overview_rows(published.client())
    assert rows[0][1] == "Khoảng hạng" and all(INTERVAL.match(r[1].split(" ")[0]) for r in rows[1:])


def test_a_run_published_before_intervals_gets_them_when_computed_again(published, monkeypatch):
    monkeypatch.setattr(intervals, "store", lambda **kwargs: False)
    run = eight_communes(published)
    monkeypatch.undo()
    client = published.client()
    assert "Khoảng hạng" not in overview_rows(client)[0]
    with published.session() as s:
        found = results.compute(session=s, period_code=NEXT, actor=published.people["admin"])
        assert [created for _, created in found] == [False, False, False]
        s.commit()
        assert s.get(RankIntervalSet, run.id) is not None
    assert overview_rows(client)[0][1] == "Khoảng hạng"


def test_the_default_spec_is_data():
    spec = intervals.default_spec()
    assert spec.type == "UA" and spec.n == 200 and intervals.factor_of(spec) == 0.25
    fw = load_shipped("commune-2025")
    assert [n.level for n in intervals.spec_for(fw).inputs[0].noise] == [1, 2, 3]  # the index is level 4
