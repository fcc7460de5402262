"""Single-object trackers for propagating a track's box to the next frames (in the worker only).

`INFERENCE_TRACKER` picks one (`csrt`, the default, or `mil`); `tracker_create()` builds a fresh
one per propagation. cv2 is imported only when a tracker is built, never at Django start-up.
See bench/tracker_propagation.py for how they compare on a 1280×720 clip.
"""

from django.conf import settings

from inference.trackers.base import Coords, Step, Tracker, iou
from inference.trackers.opencv import OpenCVTracker, TrackerUnavailable


def tracker_create(kind: str | None = None) -> Tracker:
    """A new tracker of `kind` (default: the `INFERENCE_TRACKER` setting)."""
    return OpenCVTracker(kind or settings.INFERENCE_TRACKER)


__all__ = ["Coords", "OpenCVTracker", "Step", "Tracker", "TrackerUnavailable", "iou", "tracker_create"]
