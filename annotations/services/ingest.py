"""The one place frames enter the system: uploads, `import_images`, the demo seed and dataset imports.

check → do → keep nothing on failure:
1. expand zips and verify every file with Pillow (`ingest_read.py`: format sniffed from the
   bytes, never the name; limits on bytes, files and pixels; decompression bombs, nested zips
   and entries with paths refused) — nothing is stored until every file passed. An entry of a
   zip that is not an image (a README, a damaged file) is skipped and reported with its reason
   instead of refusing the archive; a file sent on its own must be an image;
2. in one transaction holding the project row lock: drop duplicates (same sha256 already in
   the project or twice in this upload), write the files, insert the rows with frame
   indices continuing after the project's last frame;
3. on any error, files written by this call are deleted and the rows roll back. A caller
   that wraps the call in its own transaction uses `stored_files_guard()` so that its later
   failure also removes the files.

Memory: one image's bytes at a time. Verification reads each file (or zip entry) and keeps
only its size and hash; storing reads it again. A seekable upload (Django's temporary file)
is never read whole, so a 200 MB zip costs about one frame of memory, not 200 MB.
"""

import contextlib
import contextvars
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max

from annotations.errors import InvalidInput, PayloadTooLarge
from annotations.models import Image, Project
from annotations.models import Sequence as FrameSequence  # collections.abc's Sequence is in use here
from annotations.services.ingest_read import Checked, expand, natural_key, verify
from annotations.services.review import project_progress_broadcast_on_commit
from annotations.services.sequences import IngestSequences

logger = logging.getLogger(__name__)
_written: contextvars.ContextVar[list | None] = contextvars.ContextVar("ingest_written", default=None)


@dataclass
class IngestResult:
    images: list[Image] = field(default_factory=list)  # newly stored, in input order
    duplicates: list[str] = field(default_factory=list)  # names whose sha256 is already in the project
    by_name: dict[str, Image] = field(default_factory=dict)  # every input name -> its Image
    skipped: list[dict] = field(default_factory=list)  # zip entries not imported: {name, reason}


@contextlib.contextmanager
def stored_files_guard():
    """Delete every file `images_ingest` wrote inside this block if the block raises.

    For callers that ingest inside their own `transaction.atomic()` and may still fail after
    it (the rows roll back with their transaction; this takes the files with them).
    """
    outer = _written.get()
    names: list[str] = []
    token = _written.set(names)
    try:
        yield
    except BaseException:
        _delete_files(names)
        raise
    else:
        if outer is not None:
            outer.extend(names)
    finally:
        _written.reset(token)


def images_ingest(
    *,
    project: Project,
    user,
    files: Sequence[tuple[str, BinaryIO]],
    metadata: dict[str, dict] | None = None,
    progress: Callable[[Iterable], Iterable] | None = None,
    order: str = "given",
    sequence: FrameSequence | None = None,
) -> IngestResult:
    """Verify and store images (zips expanded) in `project`; all or nothing.

    Raises InvalidInput (400) or PayloadTooLarge (413) naming the offending file; then no row
    and no file of this call remains. Duplicates are reported in `duplicates`, not stored twice;
    zip entries that are not images in `skipped`. Frames take indices in the order of `files`
    (`order="given"`) or of their names, naturally sorted (`order="name"`); a zip's entries
    are always in natural name order. Each new frame's `metadata` records its `original_name`.
    `progress` wraps the verification loop (e.g. a tqdm bar).

    Sequences: each folder of a zip (its root: the zip's name) becomes a new sequence, and the
    files sent loose go together into `sequence` or, without one, a new sequence for the batch
    (named after `metadata[name]["sequence"]` when the importer gave one, else the upload time);
    new names never clash (annotations/services/sequences.py).
    """
    metadata = metadata or {}
    if order == "name":
        files = sorted(files, key=lambda item: natural_key(item[0]))
    candidates = expand(files)
    checked, skipped, total = [], [], 0
    for candidate in progress(candidates) if progress else candidates:
        data = candidate.read()
        total += len(data)
        if total > settings.UPLOAD_MAX_BYTES:
            raise PayloadTooLarge(
                f"{candidate.name}: the upload is over the limit of {settings.UPLOAD_MAX_BYTES} bytes in total."
            )
        try:
            checked.append(verify(candidate.name, data, candidate.read))
            checked[-1].folder = candidate.folder
        except InvalidInput as exc:
            if not candidate.in_zip:
                raise
            skipped.append({"name": candidate.name, "reason": str(exc.detail).removeprefix(f"{candidate.name}: ")})
        del data  # one frame's bytes at a time
    if not checked:
        raise InvalidInput("No image in the upload.", skipped=skipped) if skipped else InvalidInput("No image in the upload.")
    with stored_files_guard(), transaction.atomic():
        result = _store(
            project=project, user=user, checked=checked, metadata=metadata, written=_written.get(), sequence=sequence
        )
        result.skipped = skipped
        if result.images:
            # Dashboards watching the project see the new total once (and only if) the rows commit.
            project_progress_broadcast_on_commit(project_id=project.pk)
        return result


def _store(*, project, user, checked: list[Checked], metadata: dict, written: list[str], sequence=None) -> IngestResult:
    # The row lock serialises uploads to one project: frame indices stay dense and two concurrent
    # uploads of the same file see each other's rows instead of tripping the unique constraint.
    Project.objects.select_for_update().filter(pk=project.pk).values_list("pk", flat=True).first()
    existing = {
        image.sha256: image for image in Image.objects.filter(project=project, sha256__in={c.sha256 for c in checked})
    }
    top = Image.objects.filter(project=project).aggregate(m=Max("frame_index"))["m"]
    next_index = 0 if top is None else top + 1
    result = IngestResult()
    sequences = IngestSequences(project=project, batch=sequence)
    for item in checked:
        if item.sha256 in existing:
            result.duplicates.append(item.name)
            result.by_name[item.name] = existing[item.sha256]
            continue
        image = Image(
            project=project,
            original_name=item.name[-255:],
            format=item.format,
            sha256=item.sha256,
            width=item.width,
            height=item.height,
            frame_index=next_index,
            sequence=sequences.of(item.folder, metadata.get(item.name)),
            metadata={"original_name": item.name, **(metadata.get(item.name) or {})},
            uploaded_by=user if getattr(user, "pk", None) else None,
        )
        data = item.read()
        if hashlib.sha256(data).hexdigest() != item.sha256:
            raise InvalidInput(f"{item.name}: the file changed while it was being imported.")
        image.file.save(item.name, ContentFile(data), save=False)
        del data
        written.append(image.file.name)
        image.save()
        next_index += 1
        existing[item.sha256] = image
        result.images.append(image)
        result.by_name[item.name] = image
    return result


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # cleanup must not hide the original error
            logger.exception("Could not delete %s after a failed ingest", name)
