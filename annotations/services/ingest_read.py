"""Reading what an upload or import brings: zips expanded, every file verified with Pillow.

The first step of `annotations.services.ingest` (check before anything is stored): format
sniffed from the bytes, never the name; limits on bytes, files and pixels; decompression
bombs, nested zips and entries with paths refused. Nothing here writes; each candidate keeps a
reader that reads its bytes afresh (limits enforced), so one image's bytes are in memory at a
time and a seekable upload is never read whole.
"""

import contextlib
import functools
import hashlib
import io
import posixpath
import re
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from annotations.errors import InvalidInput, PayloadTooLarge

# Formats the platform stores and serves; anything else Pillow could read (EPS, PSD, ICO…) is refused.
ALLOWED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass
class Candidate:
    """A file sent, or an entry of a zip, not yet verified."""

    name: str
    read: Callable[[], bytes]  # the bytes, read afresh on every call (limits enforced)
    in_zip: bool = False
    folder: str | None = None  # the sequence it belongs to: its zip folder (or the zip's name); None: the batch's


@dataclass
class Checked:
    """A verified image: what its row needs, and its reader for storing."""

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


def expand(files: Sequence[tuple[str, BinaryIO]]) -> list[Candidate]:
    """Every image candidate with a reader; zips expanded in natural entry order; limits checked.

    A seekable stream is read by parts (its head, then each entry); a stream without `seek`
    must restart on every `read()` (the lazy path readers of the commands do).
    """
    count = 0
    out: list[Candidate] = []
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
            items = [Candidate(name, functools.partial(_read_limited, stream, name))]
        for item in items:
            count += 1
            if count > settings.UPLOAD_MAX_FILES:
                raise PayloadTooLarge(f"{item.name}: more than {settings.UPLOAD_MAX_FILES} files in one upload.")
            out.append(item)
    return out


def _unsafe_entry(entry: str) -> bool:
    parts = entry.replace("\\", "/").split("/")
    return entry.startswith(("/", "\\")) or bool(_DRIVE.match(entry)) or ".." in parts or "\x00" in entry


def _zip_entries(zip_name: str, stream: BinaryIO) -> list[Candidate]:
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
        Candidate(
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


def verify(name: str, data: bytes, read: Callable[[], bytes]) -> Checked:
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
    return Checked(name, read, fmt, width, height, hashlib.sha256(data).hexdigest())


def _check_pixels(name: str, width: int, height: int) -> None:
    if width * height > settings.IMAGE_MAX_PIXELS:
        raise PayloadTooLarge(
            f"{name}: {width}x{height} is over the limit of {settings.IMAGE_MAX_PIXELS} pixels per image."
        )
