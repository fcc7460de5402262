"""What a single-object tracker gives back, and when its answer means the object is lost.

A tracker knows nothing of the ORM: it is started on one frame (an RGB or BGR numpy array) with
a pixel box `(x_min, y_min, x_max, y_max)`, then given the next frames one at a time. Each step
answers a `Step`: the box on that frame, or why the object is lost (then propagation stops).
"""

from dataclasses import dataclass
from typing import Protocol

Coords = tuple[float, float, float, float]

# Lost reasons, in the order they are checked.
LOST_BY_TRACKER = "tracker"  # the tracker itself reported failure (CSRT's peak-to-sidelobe test)
LOST_LEFT_FRAME = "left_frame"  # most of the box lies outside the frame: the object is leaving the view
LOST_DEGENERATE = "degenerate"  # the box collapsed, or blew up far past the object's first size
LOST_APPEARANCE = "appearance"  # the box no longer looks like the object it started on

# A box keeps going while at least this share of its area is inside the frame.
MIN_INSIDE_SHARE = 0.5
MIN_SIDE = 4.0  # pixels; a tracker answering a thinner box has lost the object
MAX_GROWTH = 4.0  # area relative to the first box, either way


@dataclass(frozen=True)
class Step:
    box: Coords | None  # clipped to the frame; None when lost
    lost: str = ""  # one of the LOST_* reasons, or "" while tracking
    score: float | None = None  # appearance similarity to the first box, when measured


class Tracker(Protocol):
    name: str

    def start(self, frame, box: Coords) -> None:
        """Begin on `frame` with the object at `box` (pixels of that frame)."""

    def step(self, frame) -> Step:
        """Follow the object onto the next frame."""


def box_check(raw: Coords, *, width: int, height: int, first_area: float) -> tuple[Coords | None, str]:
    """The tracker's raw box clipped to the frame, or `(None, reason)` when it means the object is lost."""
    x_min, y_min, x_max, y_max = raw
    area = (x_max - x_min) * (y_max - y_min)
    if x_max - x_min < MIN_SIDE or y_max - y_min < MIN_SIDE or not first_area / MAX_GROWTH <= area <= first_area * MAX_GROWTH:
        return None, LOST_DEGENERATE
    clipped = (max(0.0, x_min), max(0.0, y_min), min(float(width), x_max), min(float(height), y_max))
    inside = max(0.0, clipped[2] - clipped[0]) * max(0.0, clipped[3] - clipped[1])
    if inside < MIN_INSIDE_SHARE * area or clipped[2] - clipped[0] < MIN_SIDE or clipped[3] - clipped[1] < MIN_SIDE:
        return None, LOST_LEFT_FRAME
    return clipped, ""


def iou(a: Coords, b: Coords) -> float:
    """Intersection over union of two boxes (continuous pixels, as COCO computes it); the AI audit's too."""
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return 0.0
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
