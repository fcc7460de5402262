"""Large files sent in pieces: open, append chunks to a file on disk, complete → ingest.

Daphne buffers a request's whole body, so one 200 MB zip in one request costs the web process
many times its size. The browser slices a large file into chunks of at most
`UPLOAD_CHUNK_MAX_BYTES`; each is appended to `UPLOAD_PARTIAL_DIR/<upload_id>/data`, so a request
holds one chunk and the assembled file is read by the ingest service from disk.

A chunk carries its `offset`: writing at an offset already received rewrites the same bytes, so
a chunk whose answer was lost is simply sent again; an offset past what was received is refused
(409) with the offset the server expects. An upload belongs to its project and its opener; any
other caller gets 404. Partial uploads untouched for `UPLOAD_PARTIAL_MAX_AGE` seconds are removed
whenever an upload is opened (no scheduler needed: they are only ever made by opening one).
"""

import json
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from annotations.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from annotations.services.ingest import IngestResult, images_ingest

_ID = re.compile(r"^[0-9a-f]{32}$")
_META, _DATA = "meta.json", "data"


@dataclass
class Upload:
    id: str
    project_id: int
    user_id: int
    name: str
    size: int
    received: int

    @property
    def folder(self) -> Path:
        return _root() / self.id


def _root() -> Path:
    return Path(settings.UPLOAD_PARTIAL_DIR)


def upload_open(*, project, user, name: str, size: int) -> Upload:
    """A new, empty upload of `size` bytes named `name` (its name decides zip or image)."""
    uploads_stale_remove()
    name = os.path.basename(str(name or "").replace("\\", "/")).strip()
    if not name or len(name) > 255:
        raise InvalidInput("name must be the file's name (1–255 characters).", name=["A file name is required."])
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InvalidInput("size must be the file's size in bytes (a positive integer).", size=["A positive integer is required."])
    if size > settings.UPLOAD_MAX_BYTES:
        raise PayloadTooLarge(f"{name}: larger than the upload limit of {settings.UPLOAD_MAX_BYTES} bytes.")
    upload = Upload(uuid.uuid4().hex, project.pk, user.pk, name, size, 0)
    upload.folder.mkdir(parents=True)
    (upload.folder / _DATA).touch()
    (upload.folder / _META).write_text(json.dumps({"project": project.pk, "user": user.pk, "name": name, "size": size}))
    return upload


def upload_get(*, project, user, upload_id: str) -> Upload:
    """The caller's upload in `project`, or NotFound (another's upload is never told apart)."""
    folder = _root() / upload_id if _ID.match(str(upload_id)) else None
    try:
        meta = json.loads((folder / _META).read_text()) if folder else None
        received = (folder / _DATA).stat().st_size if folder else 0
    except (OSError, ValueError):
        meta = None
    if not meta or meta.get("project") != project.pk or meta.get("user") != user.pk:
        raise NotFound("No such upload: it was completed, cancelled or expired.")
    return Upload(upload_id, project.pk, user.pk, meta["name"], meta["size"], received)


def chunk_write(upload: Upload, *, offset: int, data: bytes) -> Upload:
    """Write `data` at `offset` (≤ bytes received so far); returns the upload with `received` updated."""
    if len(data) > settings.UPLOAD_CHUNK_MAX_BYTES:
        raise PayloadTooLarge(f"A chunk may hold at most {settings.UPLOAD_CHUNK_MAX_BYTES} bytes.")
    if not data:
        raise InvalidInput("The chunk is empty.", body=["Send the chunk's bytes as the body."])
    if offset > upload.received:
        raise Conflict(f"Chunks go in order: the next offset is {upload.received}.", expected_offset=upload.received)
    if offset + len(data) > upload.size:
        raise PayloadTooLarge(f"{upload.name}: the chunk goes past the declared size of {upload.size} bytes.")
    with open(upload.folder / _DATA, "r+b") as out:
        out.seek(offset)
        out.write(data)
    upload.received = max(upload.received, offset + len(data))
    return upload


def upload_complete(upload: Upload, *, project, user, order: str = "name", sequence=None) -> IngestResult:
    """Ingest the assembled file (all or nothing, like a one-request upload), then remove it."""
    if upload.received != upload.size:
        raise Conflict(
            f"{upload.name}: {upload.received} of {upload.size} bytes received; send the rest first.",
            expected_offset=upload.received,
        )
    try:
        with open(upload.folder / _DATA, "rb") as stream:
            result = images_ingest(
                project=project, user=user, files=[(upload.name, stream)], order=order, sequence=sequence
            )
    finally:
        upload_cancel(upload)  # a refused file is not retried from its parts: it would be refused again
    return result


def upload_cancel(upload: Upload) -> None:
    shutil.rmtree(upload.folder, ignore_errors=True)


def uploads_stale_remove(*, now: float | None = None) -> int:
    """Remove partial uploads whose data has not changed for `UPLOAD_PARTIAL_MAX_AGE` seconds."""
    root, now, removed = _root(), now or time.time(), 0
    if not root.is_dir():
        return 0
    for folder in root.iterdir():
        try:
            touched = max(p.stat().st_mtime for p in folder.iterdir()) if folder.is_dir() else folder.stat().st_mtime
        except (OSError, ValueError):
            touched = 0
        if now - touched > settings.UPLOAD_PARTIAL_MAX_AGE:
            shutil.rmtree(folder, ignore_errors=True) if folder.is_dir() else folder.unlink(missing_ok=True)
            removed += 1
    return removed
