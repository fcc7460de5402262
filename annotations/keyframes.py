"""Keyframe interpolation, pure maths: no ORM, no Django, so it is unit-tested on its own.

Between two keyframes of a track the box moves linearly in position (its centre) and in size
(width and height), frame by frame, where "frame by frame" is the order of the sequence's
frames (their position in it, not the gap in `frame_index`: an imported clip may skip numbers).
Interpolating the centre and size is the same as interpolating the corners linearly; it is
written that way because that is what people expect of it (CVAT and Label Studio do the same).
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Rect:
    x_min: float
    y_min: float
    x_max: float
    y_max: float

    def clipped(self, width: float, height: float) -> "Rect | None":
        """Inside a `width` × `height` frame, or None when nothing of it is left there."""
        rect = Rect(max(0.0, self.x_min), max(0.0, self.y_min), min(width, self.x_max), min(height, self.y_max))
        return rect if rect.x_min < rect.x_max and rect.y_min < rect.y_max else None


def lerp_rect(start: Rect, end: Rect, t: float) -> Rect:
    """The box a fraction `t` (0 → `start`, 1 → `end`) of the way, centre and size linear in `t`."""
    cx = _lerp((start.x_min + start.x_max) / 2, (end.x_min + end.x_max) / 2, t)
    cy = _lerp((start.y_min + start.y_max) / 2, (end.y_min + end.y_max) / 2, t)
    w = _lerp(start.x_max - start.x_min, end.x_max - end.x_min, t)
    h = _lerp(start.y_max - start.y_min, end.y_max - end.y_min, t)
    return Rect(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _lerp(a: float, b: float, t: float) -> float:
    return a + (b - a) * t


def interpolate_between(keyframes: Sequence[tuple[int, Rect]]) -> Iterator[tuple[int, Rect]]:
    """`(position, Rect)` for every position strictly between consecutive keyframes.

    `keyframes` are `(position in the sequence, Rect)`; they are sorted here, and positions
    before the first or after the last keyframe get nothing (no extrapolation)."""
    ordered = sorted(keyframes, key=lambda item: item[0])
    for (p0, r0), (p1, r1) in zip(ordered, ordered[1:]):
        span = p1 - p0
        for position in range(p0 + 1, p1):
            yield position, lerp_rect(r0, r1, (position - p0) / span)
