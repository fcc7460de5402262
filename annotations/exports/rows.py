"""Streaming reads shared by every exporter: tuples in image order, never model instances."""

from collections.abc import Iterator

from annotations.errors import InvalidInput
from annotations.models import Box, Image, ImageStatus, Label

# Rows fetched per round trip of the server-side cursor: large enough to amortise the
# round trip, small enough that a chunk of boxes is a few hundred kilobytes.
CHUNK = 10_000

# `submitted` means "handed in by an annotator", which approved frames were too.
ONLY_STATUSES = {
    "approved": (ImageStatus.APPROVED,),
    "submitted": (ImageStatus.SUBMITTED, ImageStatus.APPROVED),
    "all": None,
}

# (id, file, width, height, frame_index, sha256)
IMAGE_FIELDS = ("id", "file", "width", "height", "frame_index", "sha256")
# (image_id, label_id, x_min, y_min, x_max, y_max, id)
BOX_FIELDS = ("image_id", "label_id", "x_min", "y_min", "x_max", "y_max", "id")


def only_check(only: str) -> str:
    if only not in ONLY_STATUSES:
        raise InvalidInput(f"--only must be one of {', '.join(ONLY_STATUSES)}; got {only!r}.")
    return only


def images_queryset(*, project_id: int, only: str):
    images = Image.objects.filter(project_id=project_id)
    statuses = ONLY_STATUSES[only_check(only)]
    if statuses is not None:
        images = images.filter(status__in=statuses)
    return images


def image_rows(*, project_id: int, only: str) -> Iterator[tuple]:
    """Images as tuples ordered by id (the order boxes are read in)."""
    rows = images_queryset(project_id=project_id, only=only).order_by("id").values_list(*IMAGE_FIELDS)
    return rows.iterator(chunk_size=CHUNK)


def box_rows(*, project_id: int, only: str) -> Iterator[tuple]:
    """Live boxes of the exported images as tuples ordered by (image id, box id)."""
    boxes = Box.objects.filter(image__project_id=project_id, deleted=False)
    statuses = ONLY_STATUSES[only_check(only)]
    if statuses is not None:
        boxes = boxes.filter(image__status__in=statuses)
    return boxes.order_by("image_id", "id").values_list(*BOX_FIELDS).iterator(chunk_size=CHUNK)


def frames_with_boxes(*, project_id: int, only: str) -> Iterator[tuple[tuple, list[tuple]]]:
    """(image row, its box rows) for every exported image: a merge of two ordered cursors."""
    boxes = box_rows(project_id=project_id, only=only)
    pending = next(boxes, None)
    for image in image_rows(project_id=project_id, only=only):
        image_id = image[0]
        own = []
        while pending is not None and pending[0] <= image_id:
            if pending[0] == image_id:
                own.append(pending)
            pending = next(boxes, None)
        yield image, own


def label_rows(*, project_id: int) -> list[tuple]:
    """(id, name, color, prompt) of every label, by id: the stable category order."""
    return list(Label.objects.filter(project_id=project_id).order_by("id").values_list("id", "name", "color", "prompt"))


def export_name(image: tuple) -> str:
    """The file name of a frame inside an export: ordered by frame, unique by content, stable."""
    _, file, _, _, frame_index, sha256 = image
    base = file.rpartition("/")[2]
    suffix = base[base.rfind(".") :] if "." in base else ".bin"
    return f"{frame_index:06d}_{sha256[:12]}{suffix}"


def image_count(*, project_id: int, only: str) -> int:
    return images_queryset(project_id=project_id, only=only).count()
