"""Byte builders and media snapshots shared by the upload, import and security tests."""

import io
import struct
import zipfile
import zlib

import pytest
from PIL import Image as PILImage


def media_files(media_root) -> set[str]:
    if not media_root.exists():
        return set()
    return {str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file()}


def jpeg_bytes(width=40, height=30, color=(10, 200, 30)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), color).save(buffer, format="JPEG")
    return buffer.getvalue()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A few hundred bytes of PNG whose header declares width x height 1-bit pixels."""
    rows = zlib.compress(b"".join(b"\x00" + b"\x00" * (width // 8 + 1) for _ in range(4)))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def html_with_png_header() -> bytes:
    return b"\x89PNG\r\n\x1a\n<html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Users are made by the dozen here; a fast hasher keeps the suite quick (hashing is not under test)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
