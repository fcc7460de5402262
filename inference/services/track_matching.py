"""Which track a new detection continues: IoU with the tracks' boxes on the frame before, one-to-one.

When a detection job stores a frame's predictions, each track of the frame's sequence that has
no live box on this frame yet offers a reference box: its live box on the previous frame, else
(when the previous frame was itself only detected, not yet decided) the prediction suggested
for it there. Predictions and reference boxes of the same label are assigned one-to-one by the
Hungarian algorithm (`scipy.optimize.linear_sum_assignment` on 1 − IoU); a pair below
`MIN_IOU` is no match. The prediction records the track (`Prediction.track`, shown in its JSON);
accepting it puts the box in that track, so a person stays the same track across a clip.
"""

from collections import defaultdict

import numpy as np

from annotations.models import Box, Image, Track
from annotations.selectors.tracks import frame_before
from inference.models import Prediction, PredictionStatus
from inference.trackers.base import iou

MIN_IOU = 0.3


def assign_by_iou(references: list, candidates: list, *, min_iou: float = MIN_IOU) -> list[tuple[int, int]]:
    """`(candidate index, reference index)` pairs of the one-to-one assignment with the largest
    total IoU, keeping pairs with IoU ≥ `min_iou`. Boxes are `(x_min, y_min, x_max, y_max)`."""
    if not references or not candidates:
        return []
    from scipy.optimize import linear_sum_assignment  # heavy (~0.3 s): loads in the worker, on first use

    overlap = np.array([[iou(candidate, reference) for reference in references] for candidate in candidates])
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if overlap[r, c] >= min_iou]


def _references(image: Image, before: Image) -> dict[int, list[tuple[int, tuple]]]:
    """`{label id: [(track id, box), ...]}` for the tracks free on `image` that were on `before`."""
    taken = set(Box.objects.filter(image=image, deleted=False, track__isnull=False).values_list("track_id", flat=True))
    found: dict[int, tuple] = {}
    labels: dict[int, int] = {}
    for track_id, label_id, *box in Box.objects.filter(image=before, deleted=False, track__isnull=False).values_list(
        "track_id", "track__label_id", "x_min", "y_min", "x_max", "y_max"
    ):
        found[track_id], labels[track_id] = tuple(box), label_id
    suggested = (
        Prediction.objects.filter(image=before, status=PredictionStatus.PENDING, track__isnull=False)
        .order_by("-score")
        .values_list("track_id", "track__label_id", "x_min", "y_min", "x_max", "y_max")
    )
    for track_id, label_id, *box in suggested:
        if track_id not in found:
            found[track_id], labels[track_id] = tuple(box), label_id
    by_label = defaultdict(list)
    for track_id, box in sorted(found.items()):
        if track_id not in taken:
            by_label[labels[track_id]].append((track_id, box))
    return by_label


def predictions_link_tracks(*, image: Image, predictions: list[Prediction]) -> None:
    """Suggest a track for each of a frame's new `predictions` (saved rows) that continues one."""
    labelled = [p for p in predictions if p.label_id is not None]
    before = frame_before(image) if labelled else None
    if before is None:
        return
    references = _references(image, before)
    linked = []
    for label_id, group in _by_label(labelled).items():
        offered = references.get(label_id, [])
        pairs = assign_by_iou([box for _, box in offered], [(p.x_min, p.y_min, p.x_max, p.y_max) for p in group])
        for candidate, reference in pairs:
            group[candidate].track_id = offered[reference][0]
            linked.append(group[candidate])
    if linked:
        Prediction.objects.bulk_update(linked, ["track"])


def _by_label(predictions: list[Prediction]) -> dict[int, list[Prediction]]:
    groups = defaultdict(list)
    for prediction in predictions:
        groups[prediction.label_id].append(prediction)
    return groups


def track_for_accept(*, prediction: Prediction, label_id: int) -> Track | None:
    """The suggested track of a prediction being accepted with `label_id`, if the box can join it:
    same label, and the track has no live box on the frame yet (else the box stays on its own)."""
    if prediction.track_id is None:
        return None
    track = Track.objects.select_related("label").filter(pk=prediction.track_id, label_id=label_id).first()
    if track is None or Box.objects.filter(track=track, image_id=prediction.image_id, deleted=False).exists():
        return None
    return track
