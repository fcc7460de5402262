"""Single-object trackers of OpenCV 4.x behind `inference.trackers.base.Tracker`.

- `csrt` (the default): `cv2.TrackerCSRT`, in opencv-contrib-python-headless, which the project
  pins in place of opencv-python-headless at the same version (both wheels ship `cv2`; only one
  may be installed). It follows scale changes and says when it lost the object; on the
  bench's clip (bench/tracker_propagation.py) it kept a mean IoU of 0.95 where MIL fell to 0.42.
  Its colour segmentation is off: on that clip it cost 40 % of the time and changed no box.
- `mil`: `cv2.TrackerMIL`, in every OpenCV build: fixed box size, never reports failure itself.

Frames wider than `max_side` are tracked on a downscaled copy (boxes are scaled back). Every
step also checks the box (`box_check`: mostly inside the frame, not collapsed) and how much it
still looks like the object it started on: the normalised cross-correlation of a small grey
thumbnail of the box with that of the first box. Below `min_similarity` for `patience` frames
in a row, the object is lost (occluded for good, or a tracker stuck on the background).
"""

import numpy as np

from inference.trackers.base import LOST_APPEARANCE, LOST_BY_TRACKER, Coords, Step, box_check

THUMBNAIL = (24, 24)
MAX_SIDE = 1280  # CSRT resizes its template itself: downscaling 1280×720 further bought no speed
MIN_SIMILARITY = 0.15  # a post hiding 40 % of the bench's cat for 2 frames dips to 0.18
PATIENCE = 3


class TrackerUnavailable(RuntimeError):
    """The installed OpenCV has no such tracker; the message says which package brings it."""


def _cv2():
    import cv2  # heavy native library: only imported in the worker, on the first track

    return cv2


def _create(kind: str):
    cv2 = _cv2()
    if kind == "mil":
        return cv2.TrackerMIL_create()
    if kind == "csrt":
        if not hasattr(cv2, "TrackerCSRT_create"):
            raise TrackerUnavailable(
                "TrackerCSRT needs opencv-contrib-python-headless (requirements.txt pins it) in place of "
                "opencv-python-headless; install it, or set INFERENCE_TRACKER=mil."
            )
        params = cv2.TrackerCSRT_Params()
        params.use_segmentation = False
        return cv2.TrackerCSRT_create(params)
    raise TrackerUnavailable(f"Unknown tracker {kind!r}; choose mil or csrt.")


class OpenCVTracker:
    def __init__(self, kind: str = "csrt", *, max_side: int = MAX_SIDE, min_similarity: float = MIN_SIMILARITY,
                 patience: int = PATIENCE):
        self.name = kind
        self.max_side, self.min_similarity, self.patience = max_side, min_similarity, patience
        self._tracker = _create(kind)
        self._scale = 1.0
        self._template = None
        self._first_area = 0.0
        self._misses = 0

    def _prepare(self, frame: np.ndarray) -> np.ndarray:
        cv2 = _cv2()
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        if self._scale != 1.0:
            frame = cv2.resize(frame, None, fx=self._scale, fy=self._scale, interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(frame)

    def _thumbnail(self, frame: np.ndarray, box: Coords) -> np.ndarray | None:
        cv2 = _cv2()
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        patch = frame[max(0, y0):max(0, y1), max(0, x0):max(0, x1)]
        if patch.size == 0:
            return None
        grey = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY) if patch.ndim == 3 else patch
        small = cv2.resize(grey, THUMBNAIL, interpolation=cv2.INTER_AREA).astype(np.float32)
        small -= small.mean()
        norm = float(np.linalg.norm(small))
        return small / norm if norm > 1e-6 else None

    def start(self, frame: np.ndarray, box: Coords) -> None:
        height, width = frame.shape[:2]
        self._scale = min(1.0, self.max_side / max(height, width))
        small = self._prepare(frame)
        x0, y0, x1, y1 = (v * self._scale for v in box)
        self._tracker.init(small, (int(round(x0)), int(round(y0)), max(1, int(round(x1 - x0))), max(1, int(round(y1 - y0)))))
        self._template = self._thumbnail(small, (x0, y0, x1, y1))
        self._first_area = (box[2] - box[0]) * (box[3] - box[1])
        self._misses = 0

    def step(self, frame: np.ndarray) -> Step:
        height, width = frame.shape[:2]
        small = self._prepare(frame)
        found, rect = self._tracker.update(small)
        if not found:
            return Step(None, LOST_BY_TRACKER)
        x, y, w, h = (float(v) / self._scale for v in rect)
        box, lost = box_check((x, y, x + w, y + h), width=width, height=height, first_area=self._first_area)
        if lost:
            return Step(None, lost)
        similarity = self._similarity(small, box)
        if similarity is not None and similarity < self.min_similarity:
            self._misses += 1
            if self._misses >= self.patience:
                return Step(None, LOST_APPEARANCE, similarity)
        else:
            self._misses = 0
        return Step(box, "", similarity)

    def _similarity(self, small: np.ndarray, box: Coords) -> float | None:
        if self._template is None:
            return None
        current = self._thumbnail(small, tuple(v * self._scale for v in box))
        return None if current is None else float((current * self._template).sum())
