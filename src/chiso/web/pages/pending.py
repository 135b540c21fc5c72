"""The file of a refused save, kept so that saving again does not need it uploaded again.

A browser cannot be handed a file back in a form. When a save is refused (a conflict, a wrong figure),
its upload goes to the evidence store (content-addressed: stored once, whatever comes of it) and the
form shown again carries a signed reference to it: its sha256 and name, for this user, for a day.
Saving again without a new file attaches the kept one.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import UploadFile
from starlette.requests import Request

from chiso.collection.evidence import EvidenceRefused, path_of
from chiso.web.pages.forms import FieldError, saved_upload

FIELD = "pending_file"
MAX_AGE = 24 * 3600  # seconds
EXPIRED = (
    "tệp giữ lại từ lần lưu trước không còn dùng được, hãy đính kèm lại / "
    "the file kept from the previous save can no longer be used: attach it again"
)


def _signer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.signing_key(), salt="chiso-pending-evidence")


async def keep(request: Request, user: str, upload: UploadFile, tmp: Path) -> tuple[str, str]:
    """(name, signed reference) of `upload`, now in the evidence store; ("", "") if the store refuses it."""
    await upload.seek(0)
    folder = tmp / "kept"
    folder.mkdir(exist_ok=True)
    try:
        stored = request.app.state.files.store(
            await saved_upload(upload, folder, request.app.state.settings.upload_max_bytes)
        )
    except EvidenceRefused:  # the page says why next to the item; nothing to keep
        return "", ""
    return stored.name, _signer(request).dumps({"sha256": stored.sha256, "name": stored.name, "user": user})


def read(request: Request, user: str, reference: str) -> dict[str, Any] | None:
    """The kept file's sha256 and name, or None when the reference is forged, expired or another user's."""
    try:
        data = _signer(request).loads(reference, max_age=MAX_AGE)
    except BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(data, dict) or data.get("user") != user:
        return None
    if not path_of(request.app.state.files.folder, str(data.get("sha256"))).is_file():
        return None
    return data


def restore(request: Request, user: str, reference: str, tmp: Path) -> Path:
    """The kept file, under its name in `tmp`, to be declared like a new upload."""
    data = read(request, user, reference)
    if data is None:
        raise FieldError("file", EXPIRED)
    folder = tmp / "kept"
    folder.mkdir(exist_ok=True)
    target = folder / (Path(str(data["name"])).name or "tep")
    shutil.copyfile(path_of(request.app.state.files.folder, str(data["sha256"])), target)
    return target
