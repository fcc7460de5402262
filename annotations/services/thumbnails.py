"""Server-made thumbnails for the frame grid, cached in the default storage beside the frames."""

import io
import math

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image as PILImage

from annotations.errors import InvalidInput
from annotations.models import Image

THUMB_SIZES = (64, 128, 256, 512)


def _folder(project_id: int) -> str:
    return f"thumbs/{project_id}"


def _name(image: Image, size: int, ext: str) -> str:
    return f"{_folder(image.project_id)}/{image.sha256[:2]}/{image.sha256}-{size}.{ext}"


def _stretched(picture: PILImage.Image) -> PILImage.Image:
    """A 16/32-bit integer or float frame as 8-bit grey, its own value range stretched over 0..255.

    Such frames (depth maps, thermal, medical, 16-bit scans) rarely span their type's full range,
    so a fixed cut to 8 bits would show them black or white.
    """
    values = picture.convert("F")  # every I;16 variant, I and F convert to F
    low, high = values.getextrema()
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return PILImage.new("L", picture.size, 0)
    scale = 255.0 / (high - low)
    return values.point(lambda v: (v - low) * scale).convert("L")


def displayable(picture: PILImage.Image) -> PILImage.Image:
    """Any Pillow mode as L, LA, RGB or RGBA, the modes resizing and JPEG/PNG encoding all accept."""
    mode = picture.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        return picture
    if mode.startswith(("I", "F")):
        return _stretched(picture)
    if mode in ("P", "PA"):
        return picture.convert("RGBA" if mode == "PA" or "transparency" in picture.info else "RGB")
    if mode in ("1", "La"):
        return picture.convert("LA" if mode == "La" else "L")
    return picture.convert("RGBA" if mode in ("RGBa",) else "RGB")  # CMYK, YCbCr, LAB, HSV, RGBX...


def thumbnail_get(*, image: Image, size: int) -> tuple[str, str]:
    """(storage name, content type) of the frame's thumbnail at most `size` px wide/high; made once.

    JPEG for opaque frames, PNG when the frame has transparency. The name derives from the
    content hash, so a frame never gets another frame's thumbnail.
    """
    if size not in THUMB_SIZES:
        raise InvalidInput(f"thumb must be one of {', '.join(map(str, THUMB_SIZES))}.", thumb=["Unsupported size."])
    for ext, content_type in (("jpg", "image/jpeg"), ("png", "image/png")):
        name = _name(image, size, ext)
        if default_storage.exists(name):
            return name, content_type
    with image.file.open("rb") as stream, PILImage.open(stream) as source:
        source.seek(0)
        source.draft("RGB", (size, size))  # JPEG: decode at a reduced scale, much cheaper
        picture = displayable(source.copy())
    picture.thumbnail((size, size))
    has_alpha = picture.mode in ("RGBA", "LA")
    buffer = io.BytesIO()
    if has_alpha:
        picture.convert("RGBA").save(buffer, format="PNG", optimize=True)
        ext, content_type = "png", "image/png"
    else:
        picture.convert("RGB").save(buffer, format="JPEG", quality=82)
        ext, content_type = "jpg", "image/jpeg"
    name = _name(image, size, ext)
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(buffer.getvalue()))
    return name, content_type


def thumbnails_delete(*, project_id: int) -> None:
    """Remove every cached thumbnail of a project (the folder tree `_name` writes into)."""
    folders = [_folder(project_id)]
    while folders:
        folder = folders.pop()
        try:
            subfolders, files = default_storage.listdir(folder)
        except (FileNotFoundError, NotImplementedError):
            continue
        folders.extend(f"{folder}/{sub}" for sub in subfolders)
        for file in files:
            default_storage.delete(f"{folder}/{file}")
