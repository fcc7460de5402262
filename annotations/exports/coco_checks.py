"""What a COCO import checks before it writes: the file's shape, field by field, and which of
its boxes are already on their frames."""

import itertools
import math
from collections import defaultdict

from annotations.errors import InvalidInput
from annotations.models import BoxSource

SEQUENCE_NAME_MAX = 200  # Sequence.name's max_length


def coco_shape_check(data) -> None:
    """Refuse a file that is not COCO-shaped before touching anything; the error names the field."""
    if not isinstance(data, dict):
        raise malformed("the file", "must be a JSON object with images, categories and annotations")
    for key in ("images", "categories"):
        if not isinstance(data.get(key), list):
            raise malformed(key, "must be a list")
    annotations = data.get("annotations", [])
    if annotations is not None and not isinstance(annotations, list):
        raise malformed("annotations", "must be a list")
    for kind, items, fields in (
        ("images", data["images"], {"id": _is_id, "file_name": _is_text}),
        ("categories", data["categories"], {"id": _is_id, "name": _is_text}),
        ("annotations", annotations or [], {"image_id": _is_id, "category_id": _is_id, "bbox": _is_bbox}),
    ):
        seen = set()
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise malformed(f"{kind}[{index}]", "must be an object")
            for field, valid in fields.items():
                if not valid(item.get(field)):
                    raise malformed(f"{kind}[{index}].{field}", FIELD_RULES[valid])
            for field in ("color", "prompt"):
                if field in item and item[field] is not None and not isinstance(item[field], str):
                    raise malformed(f"{kind}[{index}].{field}", "must be a string")
            if kind == "annotations":
                _track_fields_check(index, item)
            else:
                if item["id"] in seen:
                    raise malformed(f"{kind}[{index}].id", f"repeats id {item['id']}")
                seen.add(item["id"])
            if kind == "images":
                _sequence_check(index, item.get("sequence"))


def _track_fields_check(index: int, ann: dict) -> None:
    """`track_id` (or CVAT's `attributes.track_id`), `attributes.keyframe` and `attributes.source`."""
    attributes = ann.get("attributes")
    if attributes is not None and not isinstance(attributes, dict):
        raise malformed(f"annotations[{index}].attributes", "must be an object")
    attributes = attributes or {}
    for field, value in (("track_id", ann.get("track_id")), ("attributes.track_id", attributes.get("track_id"))):
        if value is not None and not _is_id(value):
            raise malformed(f"annotations[{index}].{field}", "must be an integer id or null")
    keyframe = attributes.get("keyframe")
    if keyframe is not None and not isinstance(keyframe, bool):
        raise malformed(f"annotations[{index}].attributes.keyframe", "must be true or false")
    source = attributes.get("source")
    if source is not None and source not in BoxSource.values:
        raise malformed(f"annotations[{index}].attributes.source", f"must be one of {', '.join(BoxSource.values)}")


def _sequence_check(index: int, name) -> None:
    if name is not None and not (_is_text(name) and len(name.strip()) <= SEQUENCE_NAME_MAX):
        raise malformed(f"images[{index}].sequence", f"must be a non-empty name of at most {SEQUENCE_NAME_MAX} "
                                                     "characters, or null")


def annotation_track_key(ann: dict) -> int | None:
    """The file's track id of an annotation: ours at the top level, else CVAT's in `attributes`."""
    key = ann.get("track_id")
    return key if key is not None else (ann.get("attributes") or {}).get("track_id")


def malformed(field: str, rule: str) -> InvalidInput:
    return InvalidInput(f"Malformed COCO file: {field} {rule}.")


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63


def _is_text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_bbox(value) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 4
        and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value)
    )


FIELD_RULES = {
    _is_id: "must be an integer id",
    _is_text: "must be a non-empty string",
    _is_bbox: "must be [x, y, width, height], four finite numbers",
}


SAME_BOX_TOLERANCE = 0.01  # px: an export rounds sizes to 3 decimals


class ExistingBoxes:
    """The live boxes of the frames, found again in constant time per imported box.

    Each box sits in a grid cell per (frame, label) whose side is twice the tolerance, so a box
    within the tolerance of another lies in one of 2 cells per coordinate: a lookup reads 16
    cells (81 at worst, by float rounding), however many boxes the frame has, so a re-import of
    n boxes makes O(n) comparisons, not n². `comparisons` counts the coordinate checks made, for the tests.
    Rows are `(image id, label id, x_min, y_min, x_max, y_max[, track id])`.
    """

    CELL = 2 * SAME_BOX_TOLERANCE

    def __init__(self, rows: list[tuple]):
        self.cells: dict[tuple, list[tuple]] = defaultdict(list)
        self.comparisons = self.found = 0
        for image_id, label_id, *entry in rows:
            self.cells[(image_id, label_id, *(math.floor(c / self.CELL) for c in entry[:4]))].append(tuple(entry))

    def has(self, box) -> bool:
        return self.find(box) is not None

    def find(self, box) -> tuple | None:
        """The stored `(x_min, y_min, x_max, y_max[, track id])` of the same box on its frame, or None."""
        coords, tolerance = (box.x_min, box.y_min, box.x_max, box.y_max), SAME_BOX_TOLERANCE
        spans = [  # two cells per coordinate; a third when rounding puts an edge a hair off
            range(math.floor((c - tolerance) / self.CELL), math.floor((c + tolerance) / self.CELL) + 1)
            for c in coords
        ]
        for cell in itertools.product(*spans):
            for other in self.cells.get((box.image_id, box.label_id, *cell), ()):
                self.comparisons += 1
                if all(abs(a - b) <= SAME_BOX_TOLERANCE for a, b in zip(coords, other)):
                    self.found += 1
                    return other
        return None
