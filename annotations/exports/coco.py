"""COCO JSON: a streaming writer (flat memory at any project size) and the import back.

Category ids are label ids, so they stay the same across exports of a project. Beyond COCO,
each image carries its `frame_index` and `sequence` (name or null), each annotation its
`attributes` {keyframe, source} and, when the box belongs to a track, `track_id`: the track's
number in the project (what the canvas shows as "#3"; the MOT export's ids are the same). The
import restores all of them (exports/coco_tracks.py).
Widths, heights and areas are rounded to a thousandth of a pixel, so an import followed
by an export writes the same numbers.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from annotations.errors import InvalidInput
from annotations.exports import rows
from annotations.exports.coco_checks import ExistingBoxes, coco_shape_check, malformed
from annotations.exports.coco_tracks import FileSequences, TrackLinks, box_attributes_apply
from annotations.exports.files import FrameFiles
from annotations.models import AnnotationEvent, Box, BoxSource, EventAction, Image, Label
from annotations.selectors.boxes import box_snapshot
from annotations.services.ingest import images_ingest, stored_files_guard

ANNOTATIONS_FILE = "annotations.json"
IMAGES_DIR = "images"
BATCH = 5_000  # objects serialised per orjson call
BUFFER = 1 << 20
INGEST_SLICE = 200  # frames per images_ingest call on import


def coco_write(
    *, project, only: str, out: Path, copy_images: bool = True, progress: Callable | None = None,
    split: dict[int, str] | None = None,
) -> dict:
    """Write `out/annotations.json` and `out/images/`; return the counts. With `split`
    ({image id: split name}) every image also carries its `"split"` field."""
    out.mkdir(parents=True, exist_ok=True)
    files = FrameFiles(out / IMAGES_DIR, enabled=copy_images)
    labels = rows.label_rows(project_id=project.pk)
    head = {
        "info": {
            "description": f"{project.name} ({only})",
            "version": "1.0",
            "date_created": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        "licenses": [],
        "categories": [
            {"id": pk, "name": name, "supercategory": "", "color": color, "prompt": prompt or name}
            for pk, name, color, prompt in labels
        ],
    }
    counts = {"images": 0, "boxes": 0, "labels": len(labels)}
    # One transaction: both cursors read one snapshot, and PostgreSQL keeps them as plain
    # (not WITH HOLD) cursors that stream instead of materialising the result first.
    with open(out / ANNOTATIONS_FILE, "wb", buffering=BUFFER) as fh, transaction.atomic():
        fh.write(orjson.dumps(head)[:-1] + b',"images":[')
        counts["images"] = _write_array(fh, _images(project.pk, only, files, progress, split))
        fh.write(b'],"annotations":[')
        tracks: set[int] = set()
        counts["boxes"] = _write_array(fh, _annotations(project.pk, only, tracks))
        fh.write(b"]}")
    counts["tracks"] = len(tracks)
    counts["files"] = files.count
    return counts


def _images(project_id, only, files, progress, split=None):
    for image in rows.image_rows(project_id=project_id, only=only, fields=(*rows.IMAGE_FIELDS, "sequence__name")):
        pk, stored, width, height, frame_index, sha256, sequence = image
        name = rows.export_name(image)
        files.place(stored_name=stored, export_name=name)
        if progress is not None:
            progress(1)
        item = {"id": pk, "file_name": name, "width": width, "height": height, "frame_index": frame_index,
                "sha256": sha256, "sequence": sequence}
        if split is not None:
            item["split"] = split[pk]
        yield item


def _annotations(project_id, only, tracks: set[int]):
    # x and y are written as stored; width, height and area are rounded because subtraction
    # adds float noise (30.1 - 10.2 = 19.900000000000002). `round` inlined: it is the hot loop.
    # `track_id` is the track's number (the "#3" people see, the id of the MOT export), written
    # only for boxes in a track; `tracks` collects the numbers seen, for the counts.
    # The attributes objects are shared (a handful of combinations): one dict per box cost ~10 %.
    attributes = {(keyframe, source): {"keyframe": keyframe, "source": source}
                  for keyframe in (True, False) for source in BoxSource.values}
    for image_id, label_id, x0, y0, x1, y1, pk, number, keyframe, source in rows.box_rows(
        project_id=project_id, only=only, fields=rows.COCO_BOX_FIELDS
    ):
        w, h = round(x1 - x0, 3), round(y1 - y0, 3)
        item = {"id": pk, "image_id": image_id, "category_id": label_id, "bbox": [x0, y0, w, h],
                "area": round(w * h, 3), "iscrowd": 0, "segmentation": [], "attributes": attributes[keyframe, source]}
        if number is not None:
            item["track_id"] = number
            tracks.add(number)
        yield item


def _write_array(fh, items) -> int:
    """Write the items as the body of a JSON array, BATCH at a time; return how many."""
    count = 0
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == BATCH:
            fh.write((b"," if count else b"") + orjson.dumps(batch)[1:-1])
            count += len(batch)
            batch.clear()
    if batch:
        fh.write((b"," if count else b"") + orjson.dumps(batch)[1:-1])
        count += len(batch)
    return count


def coco_import(*, project, user, path: Path) -> dict:
    """Import a COCO file into `project`: its images (next to the file or in `images/`),
    labels by name (created when missing) and boxes; all or nothing. A box already on its
    frame (same label and coordinates) is not added again, so importing a file twice is safe.

    The boxes are recorded as one `create` event per box, like boxes drawn by hand, so
    history, undo and the metrics see imported work the same way.
    """
    path = Path(path)
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise InvalidInput(f"Cannot read COCO file {path}: {exc}") from None
    return coco_data_import(project=project, user=user, data=data, folder=path.parent)


def coco_data_import(*, project, user, data, folder: Path) -> dict:
    """`coco_import` of COCO data already read, its image files under `folder` (the MOT import
    builds such data from a MOTChallenge folder)."""
    coco_shape_check(data)
    paths = {img["id"]: _image_path(folder, img["file_name"]) for img in data["images"]}
    # In the file's frame order (an export lists images by id), so the frames keep their order.
    ordered = sorted(data["images"], key=_frame_order)
    new = set()
    with stored_files_guard(), transaction.atomic():
        sequences = FileSequences(project=project)
        by_name = {}
        # In runs of one sequence, in slices: the ingest service holds a call's bytes in memory and
        # caps files per call.
        step = max(1, min(INGEST_SLICE, settings.UPLOAD_MAX_FILES))
        for name, run in sequences.runs(ordered, step):
            files = [(img["file_name"], _LazyFile(paths[img["id"]])) for img in run]
            ingested = images_ingest(project=project, user=user, files=files, sequence=sequences.of(name))
            sequences.ingested(name, ingested.images)
            by_name.update(ingested.by_name)
            new.update(image.pk for image in ingested.images)
        sequences.unused_drop()
        images = {img["id"]: by_name[img["file_name"]] for img in data["images"]}
        labels = _labels_ensure(project, data["categories"])
        boxes, skipped, tracks = _boxes_create(project, user, images, labels, data.get("annotations") or [])
    return {"images": len(images), "new_images": len(new), "labels": len(labels), "boxes": boxes,
            "boxes_already_there": skipped, "tracks": tracks}  # fmt: skip


@transaction.atomic
def coco_annotations_import(*, project, user, data) -> dict:
    """Import a COCO file's labels and boxes onto frames already in `project` (the browser
    uploads the images first, then the JSON). Each COCO image is found by its `file_name`
    (or that name without folders) among the frames' original names; all or nothing, and a
    box already on its frame is not added twice.
    """
    coco_shape_check(data)
    wanted = {img["file_name"] for img in data["images"] if isinstance(img.get("file_name"), str)}
    names = wanted | {name.rsplit("/", 1)[-1] for name in wanted}
    frames = {}
    for image in Image.objects.filter(project=project, original_name__in=names).order_by("id"):
        frames.setdefault(image.original_name, image)
    images, missing = {}, []
    for img in data["images"]:
        name = str(img["file_name"])
        frame = frames.get(name) or frames.get(name.rsplit("/", 1)[-1])
        if frame is None:
            missing.append(name)
        else:
            images[img["id"]] = frame
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise InvalidInput(f"Upload these images before their annotations: {shown}.", missing=missing[:100])
    labels = _labels_ensure(project, data["categories"])
    boxes, skipped, tracks = _boxes_create(project, user, images, labels, data.get("annotations") or [])
    return {"images": len(images), "labels": len(labels), "boxes": boxes, "boxes_already_there": skipped,
            "tracks": tracks}


def _frame_order(img: dict) -> tuple:
    index = img.get("frame_index")
    known = isinstance(index, int) and not isinstance(index, bool)
    return (not known, index if known else 0)  # frames without an index after, in file order


class _LazyFile:
    """Opened only while the ingest service reads it: no descriptor per frame held open."""

    def __init__(self, path: Path):
        self.path = path

    def read(self, size: int = -1) -> bytes:
        with open(self.path, "rb") as handle:
            return handle.read(size)


def _image_path(folder: Path, file_name: str) -> Path:
    if not isinstance(file_name, str) or Path(file_name).is_absolute() or ".." in Path(file_name).parts:
        raise InvalidInput(f"Refusing image path {file_name!r}: it must stay inside the dataset folder.")
    for candidate in (folder / file_name, folder / IMAGES_DIR / file_name):
        if candidate.is_file():
            return candidate
    raise InvalidInput(f"Image {file_name!r} is neither next to the COCO file nor in {IMAGES_DIR}/.")


def _labels_ensure(project, categories) -> dict:
    existing = {label.name: label for label in Label.objects.filter(project=project)}
    by_category = {}
    for index, cat in enumerate(categories):
        name = cat["name"].strip()
        if name not in existing:
            label = Label(project=project, name=name[:100], color=cat.get("color") or "#1f77b4",
                          prompt=cat.get("prompt") if cat.get("prompt") not in (None, name) else "")
            try:
                label.full_clean(exclude=["project"])
            except ValidationError as exc:
                field, messages = next(iter(exc.message_dict.items()))
                raise malformed(f"categories[{index}].{field}", f"is refused: {' '.join(messages)}") from None
            label.save()
            existing[name] = label
        by_category[cat["id"]] = existing[name]
    return by_category


def _boxes_create(project, user, images, labels, annotations) -> tuple[int, int, int]:
    """Add the file's boxes (with their tracks) that are not on their frames yet; returns the
    boxes added, the boxes already there and the tracks made."""
    live = _live_boxes(images.values())
    existing = ExistingBoxes(live)
    tracks = TrackLinks(project=project, user=user, live_pairs={(row[6], row[0]) for row in live if row[6]})
    boxes = []
    for index, ann in enumerate(annotations):
        image, label = images.get(ann["image_id"]), labels.get(ann["category_id"])
        if image is None:
            raise malformed(f"annotations[{index}].image_id", f"names no image of the file ({ann['image_id']})")
        if label is None:
            raise malformed(f"annotations[{index}].category_id", f"names no category of the file ({ann['category_id']})")
        x, y, w, h = (float(v) for v in ann["bbox"])
        box = Box(image=image, label=label, x_min=x, y_min=y, x_max=x + w, y_max=y + h, created_by=user,
                  updated_by=user)
        box.x_max, box.y_max = min(box.x_max, image.width), min(box.y_max, image.height)
        try:
            box.clean()
        except Exception as exc:
            raise malformed(f"annotations[{index}].bbox", f"is refused: {exc}") from None
        box_attributes_apply(box, ann)
        found = existing.find(box)
        if found is not None:  # already on the frame: importing a file again adds nothing
            tracks.found(ann, found[4])
            continue
        tracks.add(box, ann, index)
        boxes.append(box)
    tracks.link()
    Box.objects.bulk_create(boxes, batch_size=2000)
    AnnotationEvent.objects.bulk_create(
        [AnnotationEvent(image=b.image, box=b, user=user, action=EventAction.CREATE, after=box_snapshot(b)) for b in boxes],
        batch_size=2000,
    )
    return len(boxes), existing.found, tracks.created


def _live_boxes(images) -> list[tuple]:
    """`(image id, label id, x_min, y_min, x_max, y_max, track id)` of the live boxes on these frames."""
    return list(
        Box.objects.filter(image__in=[i.pk for i in images], deleted=False).values_list(
            "image_id", "label_id", "x_min", "y_min", "x_max", "y_max", "track_id"
        )
    )
