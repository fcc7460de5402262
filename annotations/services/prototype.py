"""Import of the Flask prototype's `images.pkl`: frames, actions, boxes and frame feedback.

The file is read by `prototype_pickle.prototype_load` (an unpickler that admits only numpy
arrays and builtin containers, within the file's own size). Prototype format:
`{"rgb_frames": [HxWx3 uint8 arrays], "actions": [...] (optional),
"frame_info": [{"bounding_boxes": [[y_min, y_max, x_min, x_max], ...], "human_feedback": 1|0|-1,
"is_evaluated": bool}, ...] (optional)}` — note the box order.
"""

import io
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from annotations.errors import PayloadTooLarge
from annotations.models import Box, BoxSource, EventAction, FrameFeedback, Image, Label, Project
from annotations.selectors.boxes import box_snapshot
from annotations.services.events import event_record
from annotations.services.ingest import images_ingest, stored_files_guard
from annotations.services.prototype_pickle import prototype_load

DEFAULT_LABEL = "object"
PROTOTYPE_SOURCE = "prototype-pickle"


@dataclass
class PrototypeImportResult:
    frames: int
    new_images: int
    duplicates: int
    boxes: int
    skipped_boxes: int
    feedback: int


def prototype_import(
    *,
    project: Project,
    user,
    path: Path,
    label_name: str = DEFAULT_LABEL,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> PrototypeImportResult:
    """Import a prototype pickle into `project`, all or nothing: frames in order (as PNG), `action`
    into metadata, boxes under `label_name` (created if missing) and the feedback as `user`'s rating.

    Boxes and feedback are imported only for frames that are new to the project, so importing the
    same file twice adds nothing.
    """
    data = prototype_load(path)
    frames, actions, infos = data["rgb_frames"], data["actions"], data["frame_info"]
    files, metadata = [], {}
    for index, frame in enumerate(progress(frames) if progress else frames):
        name = f"frame_{index:06d}.png"
        files.append((name, _png(frame, name)))
        metadata[name] = {"source": PROTOTYPE_SOURCE, "prototype_index": index}
        if actions is not None:
            metadata[name]["action"] = _jsonable(actions[index])
    boxes = skipped = feedback = 0
    with stored_files_guard(), transaction.atomic():
        result = images_ingest(project=project, user=user, files=files, metadata=metadata)
        new = {image.pk for image in result.images}
        label = None
        for index, (name, _) in enumerate(files):
            image = result.by_name[name]
            info = infos[index] if infos is not None else None
            if image.pk not in new or not isinstance(info, dict):
                continue
            raw_boxes = info.get("bounding_boxes") or []
            if len(raw_boxes) and label is None:
                label = _label(project, label_name)
            made, dropped = _boxes(image=image, label=label, user=user, raw=raw_boxes)
            boxes, skipped = boxes + made, skipped + dropped
            rating = _rating(info)
            if rating is not None:
                FrameFeedback.objects.update_or_create(image=image, user=user, defaults={"rating": rating})
                feedback += 1
    return PrototypeImportResult(len(files), len(result.images), len(result.duplicates), boxes, skipped, feedback)


def _png(frame, name: str) -> io.BytesIO:
    from PIL import Image as PILImage

    height, width = frame.shape[:2]
    if width * height > settings.IMAGE_MAX_PIXELS:
        raise PayloadTooLarge(f"{name}: {width}x{height} is over the limit of {settings.IMAGE_MAX_PIXELS} pixels.")
    buffer = io.BytesIO()
    PILImage.fromarray(frame, mode=None).convert("RGB").save(buffer, format="PNG", compress_level=3)
    buffer.seek(0)
    return buffer


def _jsonable(value):
    """numpy scalars and arrays into plain JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _label(project: Project, name: str) -> Label:
    label = Label.objects.filter(project=project, name__iexact=name).first()
    if label is not None:
        return label
    try:  # another import may create it meanwhile: the unique index on lower(name) decides
        with transaction.atomic():
            return Label.objects.create(project=project, name=name)
    except IntegrityError:
        return Label.objects.get(project=project, name__iexact=name)


def _boxes(*, image: Image, label: Label, user, raw) -> tuple[int, int]:
    """Create the frame's boxes from `[y_min, y_max, x_min, x_max]`, clipped to the frame; returns (made, skipped)."""
    made = skipped = 0
    for entry in raw:
        try:
            y_min, y_max, x_min, x_max = (float(v) for v in entry)
        except (TypeError, ValueError):
            skipped += 1
            continue
        if not all(math.isfinite(v) for v in (x_min, y_min, x_max, y_max)):
            skipped += 1
            continue
        x_min, x_max = max(0.0, min(x_min, x_max)), min(float(image.width), max(x_min, x_max))
        y_min, y_max = max(0.0, min(y_min, y_max)), min(float(image.height), max(y_min, y_max))
        if x_min >= x_max or y_min >= y_max:
            skipped += 1
            continue
        box = Box.objects.create(
            image=image, label=label, x_min=x_min, y_min=y_min, x_max=x_max, y_max=y_max,
            source=BoxSource.HUMAN, created_by=user, updated_by=user,
        )  # fmt: skip
        event_record(image=image, user=user, action=EventAction.CREATE, box=box, after=box_snapshot(box))
        made += 1
    return made, skipped


def _rating(info: dict) -> int | None:
    value = info.get("human_feedback")
    evaluated = info.get("is_evaluated")
    if value is None or (evaluated is not None and not evaluated):
        return None
    try:
        rating = int(value)
    except (TypeError, ValueError):
        return None
    return rating if rating in (-1, 0, 1) else None
