"""The audit log for administrators: filters (actor, action, unit, dates), newest first, paginated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from chiso.audit import service as audit
from chiso.audit.models import AuditEntry
from chiso.web.deps import DB, WhoDep
from chiso.web.render import Page, render

router = APIRouter()
PER_PAGE = 50


@dataclass(frozen=True)
class AuditPage(Page):
    entries: list[AuditEntry]
    filters: audit.Filters
    page: int
    pages: int
    total: int
    query: dict[str, str]  # the filters as given, for the form and the page links

    def link(self, page: int) -> str:
        return "/admin/audit?" + urlencode({**self.query, "page": str(page)})


@router.get("/admin/audit")
def audit_page(
    request: Request,
    session: DB,
    who: WhoDep,
    actor: Annotated[str, Query(max_length=64)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    unit: Annotated[str, Query(max_length=32)] = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    if not who.logged_in:
        return RedirectResponse("/login?next=/admin/audit", status_code=303)
    filters = audit.Filters(actor.strip() or None, action.strip() or None, unit.strip() or None, since, until)
    found = audit.list_entries(session=session, actor=who.actor, filters=filters, page=page, per_page=PER_PAGE)
    given = {"actor": actor, "action": action, "unit": unit, "since": since, "until": until}
    query = {k: str(v) for k, v in given.items() if v}
    return render(request, who, AuditPage(found.entries, filters, page, found.pages, found.total, query))
