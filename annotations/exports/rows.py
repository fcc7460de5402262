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
# COCO's box rows add the track's number (None without a track), keyframe and source: one
# LEFT JOIN in the same cursor, not a query per track.
COCO_BOX_FIELDS = (*BOX_FIELDS, "track__number", "keyframe", "source")


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


def image_rows(*, project_id: int, only: str, fields: tuple = IMAGE_FIELDS) -> Iterator[tuple]:
    """Images as tuples ordered by id (the order boxes are read in); `fields` start with IMAGE_FIELDS."""
    rows = images_queryset(project_id=project_id, only=only).order_by("id").values_list(*fields)
    return rows.iterator(chunk_size=CHUNK)


def boxes_queryset(*, project_id: int, only: str):
    """Live boxes of the exported images."""
    boxes = Box.objects.filter(image__project_id=project_id, deleted=False)
    statuses = ONLY_STATUSES[only_check(only)]
    if statuses is not None:
        boxes = boxes.filter(image__status__in=statuses)
    return boxes


def box_rows(*, project_id: int, only: str, fields: tuple = BOX_FIELDS) -> Iterator[tuple]:
    """Live boxes of the exported images as tuples ordered by (image id, box id)."""
    boxes = boxes_queryset(project_id=project_id, only=only)
    return boxes.order_by("image_id", "id").values_list(*fields).iterator(chunk_size=CHUNK)


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
    file, frame_index, sha256 = image[1], image[4], image[5]
    return f"{frame_index:06d}_{sha256[:12]}{file_suffix(file)}"


def file_suffix(file: str) -> str:
    """The stored file's extension with its dot (stored names are content addresses: `<sha>.jpg`)."""
    base = file.rpartition("/")[2]
    return base[base.rfind(".") :] if "." in base else ".bin"


def coordinate_text(value: float) -> str:
    """A pixel coordinate in text formats: at most three decimals, no trailing zeros."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def image_count(*, project_id: int, only: str) -> int:
    return images_queryset(project_id=project_id, only=only).count()
