"""The one place frames enter the system: uploads, `import_images`, the demo seed and dataset imports.

check → do → keep nothing on failure:
1. expand zips and verify every file with Pillow (format sniffed from the bytes, never the
   name; limits on bytes, files and pixels; decompression bombs, nested zips and entries
   with paths refused) — nothing is stored until every file passed. An entry of a zip that
   is not an image (a README, a damaged file) is skipped and reported with its reason
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
import functools
import hashlib
import io
import logging
import posixpath
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from annotations.errors import InvalidInput, PayloadTooLarge
from annotations.models import Image, Project
from annotations.models import Sequence as FrameSequence  # collections.abc's Sequence is in use here
from annotations.services.review import project_progress_broadcast_on_commit
from annotations.services.sequences import IngestSequences

logger = logging.getLogger(__name__)

# Formats the platform stores and serves; anything else Pillow could read (EPS, PSD, ICO…) is refused.
ALLOWED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_DRIVE = re.compile(r"^[A-Za-z]:")
_written: contextvars.ContextVar[list | None] = contextvars.ContextVar("ingest_written", default=None)


@dataclass
class IngestResult:
    images: list[Image] = field(default_factory=list)  # newly stored, in input order
    duplicates: list[str] = field(default_factory=list)  # names whose sha256 is already in the project
    by_name: dict[str, Image] = field(default_factory=dict)  # every input name -> its Image
    skipped: list[dict] = field(default_factory=list)  # zip entries not imported: {name, reason}


@dataclass
class _Candidate:
    name: str
    read: Callable[[], bytes]  # the bytes, read afresh on every call (limits enforced)
    in_zip: bool = False
    folder: str | None = None  # the sequence it belongs to: its zip folder (or the zip's name); None: the batch's


@dataclass
class _Checked:
    name: str
    read: Callable[[], bytes]
    format: str
    width: int
    height: int
    sha256: str
    folder: str | None = None


_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple:
    """Sort key putting `frame2` before `frame10` (digit runs compare as numbers, case ignored)."""
    parts = tuple(int(part) if part.isdigit() else part.casefold() for part in _DIGITS.split(name))
    return parts, name


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
    candidates = _expand(files)
    checked, skipped, total = [], [], 0
    for candidate in progress(candidates) if progress else candidates:
        data = candidate.read()
        total += len(data)
        if total > settings.UPLOAD_MAX_BYTES:
            raise PayloadTooLarge(
                f"{candidate.name}: the upload is over the limit of {settings.UPLOAD_MAX_BYTES} bytes in total."
            )
        try:
            checked.append(_verify(candidate.name, data, candidate.read))
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


def _store(*, project, user, checked: list[_Checked], metadata: dict, written: list[str], sequence=None) -> IngestResult:
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


# --- expanding and verifying -------------------------------------------------------------


def _read_limited(stream: BinaryIO, name: str) -> bytes:
    limit = settings.IMAGE_MAX_BYTES
    if hasattr(stream, "seek"):
        with contextlib.suppress(Exception):
            stream.seek(0)
    data = stream.read(max(limit, settings.UPLOAD_MAX_BYTES) + 1)
    if len(data) > settings.UPLOAD_MAX_BYTES:
        raise PayloadTooLarge(f"{name}: larger than the upload limit of {settings.UPLOAD_MAX_BYTES} bytes.")
    return data


def _size_of(stream) -> int | None:
    try:
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(0)
        return size
    except Exception:  # not really seekable: read it
        return None


def _expand(files: Sequence[tuple[str, BinaryIO]]) -> list[_Candidate]:
    """Every image candidate with a reader; zips expanded in natural entry order; limits checked.

    A seekable stream is read by parts (its head, then each entry); a stream without `seek`
    must restart on every `read()` (the lazy path readers of the commands do).
    """
    count = 0
    out: list[_Candidate] = []
    for name, stream in files:
        size = _size_of(stream) if hasattr(stream, "seek") else None
        if size is None:
            data = _read_limited(stream, name)
            stream, size = io.BytesIO(data), len(data)
        if size > settings.UPLOAD_MAX_BYTES:
            raise PayloadTooLarge(f"{name}: larger than the upload limit of {settings.UPLOAD_MAX_BYTES} bytes.")
        head = stream.read(4)
        stream.seek(0)
        if head.startswith(ZIP_MAGIC):
            items = _zip_entries(name, stream)
        else:
            items = [_Candidate(name, functools.partial(_read_limited, stream, name))]
        for item in items:
            count += 1
            if count > settings.UPLOAD_MAX_FILES:
                raise PayloadTooLarge(f"{item.name}: more than {settings.UPLOAD_MAX_FILES} files in one upload.")
            out.append(item)
    return out


def _unsafe_entry(entry: str) -> bool:
    parts = entry.replace("\\", "/").split("/")
    return entry.startswith(("/", "\\")) or bool(_DRIVE.match(entry)) or ".." in parts or "\x00" in entry


def _zip_entries(zip_name: str, stream: BinaryIO) -> list[_Candidate]:
    try:
        archive = zipfile.ZipFile(stream)
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise InvalidInput(f"{zip_name}: not a readable zip file ({exc}).") from None
    entries = []
    for info in infos:
        if _unsafe_entry(info.filename):
            raise InvalidInput(f"{zip_name}: the entry {info.filename!r} has an unsafe path.")
        base = posixpath.basename(info.filename)
        if info.is_dir() or info.filename.startswith("__MACOSX/") or base.startswith("."):
            continue  # folders and the junk archivers add; never images
        entries.append(info)
    if not entries:
        raise InvalidInput(f"{zip_name}: the zip contains no files.")
    if len(entries) > settings.UPLOAD_MAX_FILES:
        raise PayloadTooLarge(f"{zip_name}: more than {settings.UPLOAD_MAX_FILES} files in one upload.")
    declared = 0
    for info in entries:
        if info.flag_bits & 0x1:
            raise InvalidInput(f"{zip_name}: the entry {info.filename!r} is encrypted.")
        if info.file_size > settings.IMAGE_MAX_BYTES:
            raise PayloadTooLarge(f"{zip_name}: {info.filename} is over the limit of {settings.IMAGE_MAX_BYTES} bytes.")
        declared += info.file_size
        if declared > settings.UPLOAD_MAX_BYTES:
            raise PayloadTooLarge(f"{zip_name}: the unpacked files exceed {settings.UPLOAD_MAX_BYTES} bytes.")
    ordered = sorted(entries, key=lambda i: natural_key(i.filename))
    stem = posixpath.splitext(posixpath.basename(zip_name.replace("\\", "/")))[0] or zip_name
    return [
        _Candidate(
            info.filename,
            functools.partial(_zip_read, archive, info, zip_name),
            True,
            posixpath.dirname(info.filename.replace("\\", "/")) or stem,
        )
        for info in ordered
    ]


def _zip_read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, zip_name: str) -> bytes:
    try:
        with archive.open(info) as member:
            # Declared sizes can lie: read at most one byte past the limit.
            content = member.read(settings.IMAGE_MAX_BYTES + 1)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError, ValueError) as exc:
        raise InvalidInput(f"{zip_name}: {info.filename} cannot be unpacked ({exc}).") from None
    if len(content) > settings.IMAGE_MAX_BYTES:
        raise PayloadTooLarge(f"{zip_name}: {info.filename} is over the limit of {settings.IMAGE_MAX_BYTES} bytes.")
    if content.startswith(ZIP_MAGIC):
        raise InvalidInput(f"{zip_name}: {info.filename} is a zip inside the zip; nested archives are refused.")
    return content


def _verify(name: str, data: bytes, read: Callable[[], bytes]) -> _Checked:
    """Open with Pillow (allowed formats only), check pixels, verify(), then decode fully."""
    if len(data) > settings.IMAGE_MAX_BYTES:
        raise PayloadTooLarge(f"{name}: over the limit of {settings.IMAGE_MAX_BYTES} bytes per image.")
    if not data:
        raise InvalidInput(f"{name}: the file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as probe:
                fmt, (width, height) = probe.format, probe.size
                _check_pixels(name, width, height)
                probe.verify()
            with PILImage.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as full:
                full.load()
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise PayloadTooLarge(f"{name}: refused as a decompression bomb (too many pixels).") from None
    except (PayloadTooLarge, InvalidInput):
        raise
    except UnidentifiedImageError:
        raise InvalidInput(f"{name}: not an image in a supported format ({', '.join(ALLOWED_FORMATS)}).") from None
    except Exception as exc:  # Pillow raises many types on corrupt data (SyntaxError, OSError, ValueError…)
        raise InvalidInput(f"{name}: the image is damaged or cannot be decoded ({type(exc).__name__}).") from None
    if fmt not in ALLOWED_FORMATS or width <= 0 or height <= 0:
        raise InvalidInput(f"{name}: not an image in a supported format.")
    return _Checked(name, read, fmt, width, height, hashlib.sha256(data).hexdigest())


def _check_pixels(name: str, width: int, height: int) -> None:
    if width * height > settings.IMAGE_MAX_PIXELS:
        raise PayloadTooLarge(
            f"{name}: {width}x{height} is over the limit of {settings.IMAGE_MAX_PIXELS} pixels per image."
        )
