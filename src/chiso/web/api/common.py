"""Pagination and CSV, shared by the API routers."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import Response
from pydantic import BaseModel

from chiso import csvsafe

PageNo = Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1.")]
PerPage = Annotated[int, Query(ge=1, le=5000, description="Items per page (at most 5000).")]
UpdatedSince = Annotated[
    dt.datetime | None,
    Query(description="Only items changed after this moment (ISO 8601; without an offset: Vietnam's time, UTC+7)."),
]
Format = Annotated[Literal["json", "csv"], Query(description="json (paginated) or csv (every row, for bulk use).")]
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the ETag sent in If-None-Match is still the answer's"}
}
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON, or CSV with format=csv"},
    **NOT_MODIFIED,
}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {"application/problem+json": {"schema": {"type": "object"}}}}
    for status, text in (
        (400, "Bad request"),
        (401, "Authentication required"),
        (403, "Forbidden"),
        (404, "Not found"),
        (409, "Conflict"),
        (422, "Invalid request"),
    )
}


def paginate(items: Sequence[Any], page: int, per_page: int) -> dict[str, Any]:
    start = (page - 1) * per_page
    chunk = list(items[start : start + per_page])
    more = start + per_page < len(items)
    return {
        "items": chunk,
        "page": page,
        "per_page": per_page,
        "total": len(items),
        "next_page": page + 1 if more else None,
    }


def csv_response(rows: Sequence[BaseModel | dict[str, Any]], columns: Sequence[str], filename: str) -> Response:
    buffer = io.StringIO()
    dicts = (row.model_dump() if isinstance(row, BaseModel) else row for row in rows)
    csvsafe.write(buffer, dicts, columns, lineterminator="\n")
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
