"""Files from the evidence store, served as downloads (never rendered inline: they come from users)."""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.responses import FileResponse

from chiso.collection.evidence import path_of


def download(request: Request, sha256: str, media_type: str | None, file_name: str | None) -> FileResponse:
    path = path_of(request.app.state.files.folder, sha256)
    if not path.exists():
        raise HTTPException(404, "the file is missing from the evidence store")
    return FileResponse(
        path,
        media_type=media_type or "application/octet-stream",
        filename=file_name or sha256,
        content_disposition_type="attachment",
    )
