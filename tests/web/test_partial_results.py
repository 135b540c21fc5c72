"""Honest partial results (issue 12, item 6): a run of a period that is not fully approved says how many
units it holds, on every page and in the API, and no change of rank is given against another set of units."""

from __future__ import annotations

import datetime as dt

from tests import factories as f

from chiso.collection import review
from chiso.collection import service as collection
from chiso.collection.schemas import PeriodOpen
from chiso.results import service as results

NEXT = "2026/commune-2025"


def _next_year_with_one_unit_approved(site) -> None:
    """The published 2025 period ranked both communes; in 2026 only COMMUNE is approved so far."""
    people = site.people
    with site.session() as s:
        collection.open_period(
            session=s,
            period_in=PeriodOpen(
                framework="commune-2025",
                year=2026,
                units=(f.COMMUNE, f.OTHER),
                opens_on=dt.date(2026, 9, 1),
                closes_on=dt.date(2026, 11, 30),
                code=NEXT,
            ),
            actor=people["admin"],
        )
        for item in f.DECLARATIONS:
            collection.declare(session=s, period_code=NEXT, unit_code=f.COMMUNE, item_in=item, actor=people["officer"])
        collection.submit(session=s, period_code=NEXT, unit_code=f.COMMUNE, actor=people["officer"])
        review.accept(session=s, period_code=NEXT, unit_code=f.COMMUNE, actor=people["appraiser"])
        review.approve(session=s, period_code=NEXT, unit_code=f.COMMUNE, actor=people["appraiser"])
        results.compute(session=s, period_code=NEXT, actor=people["admin"])
        s.commit()


def test_a_partial_run_says_so_and_hides_changes(published):
    _next_year_with_one_unit_approved(published)
    client = published.client("admin")
    page = client.get(f"/?period={NEXT}")
    assert page.status_code == 200
    assert "1/2 đơn vị đã phê duyệt" in page.text and "Kết quả tạm tính: mới có 1 trong 2 đơn vị" in page.text
    assert "changes-hidden" in page.text and "▲" not in page.text and "▼" not in page.text
    profile = client.get(f"/units/{f.COMMUNE}?period={NEXT}")
    assert profile.status_code == 200 and "1/2 đơn vị đã phê duyệt" in profile.text
    body = client.get(f"/api/v1/rankings?period={NEXT}").json()
    assert (body["units"], body["scope"], body["partial"], body["changes_hidden"]) == (1, 2, True, True)
    assert all(item["previous_rank"] is None and item["change"] is None for item in body["items"])
    english = client.get(f"/?period={NEXT}&lang=en").text
    assert "1/2 units approved" in english


def test_a_complete_run_says_nothing_of_the_kind(published):
    client = published.client()
    page = client.get(f"/?period={f.PERIOD}")
    assert page.status_code == 200 and "đơn vị đã phê duyệt" not in page.text and "changes-hidden" not in page.text
    body = client.get(f"/api/v1/rankings?period={f.PERIOD}").json()
    assert (body["units"], body["scope"], body["partial"]) == (2, 2, False)
