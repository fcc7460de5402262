"""Boxes a tracker proposed for a track (`source=tracked`, `keyframe=False`), written frame by frame.

The propagation job (inference/services/propagation.py) calls `tracked_box_write` once per frame,
inside its own transaction, as soon as the tracker has the box: the box is live for everyone at
once (`box.created` / `box.updated` through annotations/services/box_batches.py). A person then
confirms it by editing it (it becomes a keyframe, the write path's rule) or deletes it.

- A frame where the track already has a box a person drew or adjusted (a keyframe) is never
  overwritten: the propagation stops there. An interpolated or tracked box of the track on the
  frame is moved to the new position instead of adding a second one.
- A frame the author may no longer change (approved, for an annotator) stops it too.
- When the job is over, `tracked_boxes_group` makes all of its writes one undo step.
"""

from dataclasses import asdict

from annotations.keyframes import Rect
from annotations.models import AnnotationEvent, Box, BoxSource, Image, Track
from annotations.services.box_batches import BoxBatch, action_mark, boxes_write_batch
from annotations.services.events import events_group
from annotations.services.frames import frame_start, frames_lock_editable


def tracked_box_write(*, track: Track, image: Image, coords, user) -> tuple[Box | None, list[int]]:
    """Put the track's box on `image` at `coords` (pixels), as a tracked, non-keyframe box.

    Runs inside the caller's transaction. Returns `(box, event ids)`, or `(None, [])` when the
    frame is not the tracker's to write (a person's keyframe is there, the frame is locked, or the
    box has nothing inside the frame): the caller stops there.
    """
    if image.pk not in frames_lock_editable(image_ids={image.pk}, user=user, strict=False):
        return None, []
    inside = Rect(*(float(v) for v in coords)).clipped(image.width, image.height)
    if inside is None:
        return None, []
    existing = (
        Box.objects.select_for_update(of=("self",))
        .select_related("label", "created_by", "updated_by")
        .filter(track=track, image=image, deleted=False)
        .first()
    )
    if existing is not None and existing.keyframe:
        return None, []
    rect = asdict(inside)
    if existing is None:
        batch = BoxBatch(creates=[
            Box(image=image, label=track.label, track=track, source=BoxSource.TRACKED, keyframe=False, **rect)
        ])
    else:
        batch = BoxBatch(updates=[(existing, {**rect, "label": track.label, "source": BoxSource.TRACKED})])
    result = boxes_write_batch(batch=batch, user=user, group=None, action_label="track")
    frame_start(image=image, user=user)
    box = (result.created or result.updated or [existing])[0]
    return box, [event.pk for event in result.events]


def tracked_boxes_group(*, event_ids: list[int], image_id: int, track_id: int, user) -> str | None:
    """Make the writes of one propagation (their event ids) a single undo step, reached from the
    frame it started on (`image_id`, where the person asked for it: a box-less `propagate` event)."""
    mark = action_mark(image_id=image_id, user=user, action="propagate", track_ids=[track_id])
    return events_group([mark, *AnnotationEvent.objects.filter(pk__in=event_ids).order_by("pk")], "propagate")
