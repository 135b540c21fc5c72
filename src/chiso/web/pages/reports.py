"""The annual report as a download: `GET /reports/annual?province=19&year=2025&format=pdf|xlsx`.

For leaders and the programme office (`report.view`); a visitor who has not logged in is sent to the
login page first. The file is made on the request, from the same service as `chiso report annual`.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from chiso.reports import pdf, service, xlsx
from chiso.web.deps import DB, WhoDep

router = APIRouter()
MEDIA = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("/reports/annual")
def annual(
    request: Request,
    session: DB,
    who: WhoDep,
    province: str,
    year: int,
    format: Literal["pdf", "xlsx"] = "pdf",
) -> Response:
    if not who.logged_in:
        target = f"{request.url.path}?{request.url.query}"
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
    report = service.annual(session=session, actor=who.actor, province=province, year=year)
    data = pdf.render(report) if format == "pdf" else xlsx.render(report)
    name = f"bao-cao-chuyen-doi-so-{province}-{year}.{format}"
    disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=MEDIA[format], headers={"Content-Disposition": disposition})
