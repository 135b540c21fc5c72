"""The leader's home (`/home`): the province's national position, the resolution's targets, overdue tasks,
the units that fell or lag, the open collection and the annual report — each figure linking to its page.

For leaders (`viewer`) and the programme office; a leader lands here after logging in (pages/auth.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from chiso.dashboard import leader
from chiso.dashboard.leader import LeaderHome
from chiso.programme.status import ORDER, Status
from chiso.web.deps import DB, WhoDep
from chiso.web.render import Page, render

router = APIRouter()


@dataclass(frozen=True)
class HomePage(Page):
    home: LeaderHome | None
    statuses: tuple[Status, ...]  # the order the summary is read in: at risk first

    def report_url(self, kind: str) -> str:
        assert self.home is not None
        query = {"province": self.home.province, "year": self.home.today.year, "format": kind}
        return f"/reports/annual?{urlencode(query)}"


@router.get("/home")
def home_page(request: Request, session: DB, who: WhoDep) -> Response:
    if not who.logged_in:
        return RedirectResponse(f"/login?{urlencode({'next': '/home'})}", status_code=303)
    configured = request.app.state.settings.province
    province = leader.province_of(session=session, actor=who.actor, configured=configured)
    found = None if province is None else leader.home(session=session, actor=who.actor, province=province)
    return render(request, who, HomePage(found, ORDER))
