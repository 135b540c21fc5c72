"""Files from the evidence store: served as downloads; PDFs and images also inline, in Chiso's own pages
(the appraisal page previews them), under a policy that lets them run nothing."""

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


# Shown in a frame of Chiso's own pages only (the appraisal page): the file is what its content says it
# is (evidence.detect at upload, nosniff), and it may run nothing: no script, no plugin but the PDF viewer.
PREVIEW_POLICY = {
    "application/pdf": "frame-ancestors 'self'; script-src 'none'",
    "image/png": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'",
    "image/jpeg": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'",
}


def preview(request: Request, sha256: str, media_type: str, file_name: str | None) -> FileResponse:
    """A PDF or image from the evidence store, inline, for a frame or an image of Chiso's own pages."""
    policy = PREVIEW_POLICY.get(media_type)
    path = path_of(request.app.state.files.folder, sha256)
    if policy is None or not path.exists():
        raise HTTPException(404, "tệp minh chứng không xem được trong trang / no preview of this file")
    return FileResponse(
        path,
        media_type=media_type,
        filename=file_name or sha256,
        content_disposition_type="inline",
        headers={
            "Content-Security-Policy": policy,
            "X-Frame-Options": "SAMEORIGIN",
            "Cache-Control": "private, max-age=3600",
        },
    )
