"""Import of the Flask prototype's `images.pkl`: frames, actions, boxes and frame feedback.

The file is a pickle — an arbitrary program for a normal unpickler — so it is read with an
unpickler whose `find_class` admits only what numpy arrays and builtin containers need.
A pickle that reaches for anything else (`os.system`, `subprocess.Popen`, `builtins.eval`…)
is refused before that object is ever looked up, so nothing of it runs.

Prototype format: `{"rgb_frames": [HxWx3 uint8 arrays], "actions": [...] (optional),
"frame_info": [{"bounding_boxes": [[y_min, y_max, x_min, x_max], ...], "human_feedback": 1|0|-1,
"is_evaluated": bool}, ...] (optional)}` — note the box order.
"""

import io
import math
import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from annotations.errors import InvalidInput, PayloadTooLarge
from annotations.models import Box, BoxSource, EventAction, FrameFeedback, Image, Label, Project
from annotations.selectors.boxes import box_snapshot
from annotations.services.events import event_record
from annotations.services.ingest import images_ingest, stored_files_guard

SAFE_GLOBALS = frozenset(
    {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"),  # protocol 5 arrays
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # protocol 2 writes bytes as encode(text, "latin1")
        *(("builtins", name) for name in ("list", "dict", "tuple", "set", "frozenset", "bytearray", "bytes")),
        *(("__builtin__", name) for name in ("list", "dict", "tuple", "set", "frozenset", "bytearray")),
    }
)
DEFAULT_LABEL = "object"
PROTOTYPE_SOURCE = "prototype-pickle"


class UnsafePickle(InvalidInput):
    pass


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and builtin containers; refuses every other global."""

    def find_class(self, module, name):
        if (module, name) in SAFE_GLOBALS:
            return super().find_class(module, name)
        raise UnsafePickle(
            f"Refusing to load {module}.{name} from the pickle: only numpy arrays and builtin containers are allowed."
        )


def prototype_load(path: Path) -> dict:
    """Read and check the pickle's structure; returns the dict with `rgb_frames`, `actions`, `frame_info`."""
    import numpy as np  # late: only imports need it

    path = Path(path)
    if path.stat().st_size > settings.UPLOAD_MAX_BYTES:
        raise PayloadTooLarge(f"{path.name}: larger than the upload limit of {settings.UPLOAD_MAX_BYTES} bytes.")
    with path.open("rb") as handle:
        try:
            data = RestrictedUnpickler(handle).load()
        except UnsafePickle:
            raise
        except Exception as exc:  # truncated or garbage data raise many types
            raise InvalidInput(f"{path.name}: not a readable pickle ({type(exc).__name__}: {exc}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("rgb_frames"), (list, tuple)):
        raise InvalidInput(f"{path.name}: expected a dict with a list `rgb_frames` (the prototype's format).")
    frames = list(data["rgb_frames"])
    for index, frame in enumerate(frames):
        if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            shape = getattr(frame, "shape", None)
            raise InvalidInput(f"{path.name}: frame {index} is not an HxWx3 uint8 array (got {shape}).")
    for key in ("actions", "frame_info"):
        value = data.get(key)
        if value is not None and (not isinstance(value, (list, tuple)) or len(value) != len(frames)):
            raise InvalidInput(f"{path.name}: `{key}` must be a list with one entry per frame.")
    return {"rgb_frames": frames, "actions": data.get("actions"), "frame_info": data.get("frame_info")}


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
