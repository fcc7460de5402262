"""Keyframe interpolation of a track, stored as real boxes (`source=interpolated, keyframe=False`).

`track_interpolate` reconciles the track with its keyframes: between every pair of consecutive
keyframes (in the order of the sequence's frames) each frame gets the linearly interpolated box
(annotations/keyframes.py); an interpolated box already there is moved instead of replaced, and
one that is no longer between two keyframes (a keyframe was deleted or the track ended) is
deleted. Only boxes it wrote itself are touched: a frame holding a keyframe or a tracker's box
(`source=tracked`) of the track is left as it is, since the tracker looked at the pixels there.
Nothing is written before the first or after the last keyframe (no extrapolation: an object
that left the view must not be drawn there); "track forward" (the tracker) is for that.

Frames an annotator may not change (approved) are skipped. Interpolated frames keep their
status (`new` stays `new`): no person has looked at them yet.

Cost: a fixed number of queries whatever the length (read the track's boxes and the sequence's
frames, lock the frames written, then `boxes_write_batch`'s bulk statements).
"""

from django.db import transaction

from annotations.keyframes import Rect, interpolate_between
from annotations.models import Box, BoxSource, Track
from annotations.selectors.tracks import sequence_frames, track_live_boxes
from annotations.services.box_batches import BatchResult, BoxBatch, action_mark, boxes_write_batch
from annotations.services.frames import frames_lock_editable
from annotations.services.tracks import track_broadcast, track_lock


PLAN_FIELDS = ("image_id", "keyframe", "source", "x_min", "y_min", "x_max", "y_max", "image__sequence_id")


def is_interpolated(box: Box) -> bool:
    return box.source == BoxSource.INTERPOLATED and not box.keyframe


def _rect(box: Box) -> Rect:
    return Rect(box.x_min, box.y_min, box.x_max, box.y_max)


def track_sequence_id(track: Track, boxes: list[Box]) -> int | None:
    """The track's sequence, else the one its keyframes' frames are in (None: frames without one)."""
    if track.sequence_id is not None:
        return track.sequence_id
    return next((box.image.sequence_id for box in boxes if box.keyframe), None)


def track_interpolation_plan(*, track: Track, boxes: list[Box]) -> BoxBatch:
    """What `track_interpolate` would write, from the track's live boxes (with their images)."""
    sequence_id = track_sequence_id(track, boxes)
    frames = list(sequence_frames(sequence_id=sequence_id, project_id=track.project_id).values_list("id", "width", "height"))
    position = {pk: index for index, (pk, _, _) in enumerate(frames)}
    keyframes = [(position[box.image_id], _rect(box)) for box in boxes if box.keyframe and box.image_id in position]
    existing = {box.image_id: box for box in boxes if is_interpolated(box)}
    occupied = {box.image_id for box in boxes if not is_interpolated(box)}
    batch = BoxBatch()
    wanted: set[int] = set()
    for index, rect in interpolate_between(keyframes):
        image_id, width, height = frames[index]
        if image_id in occupied:
            continue
        rect = rect.clipped(width, height)
        if rect is None:
            continue
        wanted.add(image_id)
        coords = {"x_min": rect.x_min, "y_min": rect.y_min, "x_max": rect.x_max, "y_max": rect.y_max}
        box = existing.get(image_id)
        if box is None:
            batch.creates.append(
                Box(image_id=image_id, label=track.label, track=track, source=BoxSource.INTERPOLATED, keyframe=False, **coords)
            )
        else:
            batch.updates.append((box, {**coords, "label": track.label}))
    batch.deletes = [box for image_id, box in existing.items() if image_id not in wanted]
    return batch


def track_interpolate(*, track: Track, user, group: str | None = "interpolate", with_events: tuple = ()) -> BatchResult:
    """Write the track's interpolated boxes (see the module docstring); one undo step named `group`
    together with `with_events` (the edit that caused it). Run inside a transaction; the caller
    holds the track's lock (`track_lock`)."""
    # Planning reads only what it needs (most of a long track is usually already in place); the
    # boxes it will change are then read in full, with what their JSON shows.
    planned = Box.objects.filter(track=track, deleted=False).select_related("image").only(*PLAN_FIELDS)
    batch = track_interpolation_plan(track=track, boxes=list(planned))
    changing = [box.pk for box, _ in batch.updates] + [box.pk for box in batch.deletes]
    if changing:
        full = track_live_boxes(track).in_bulk(changing)
        batch.updates = [(full[box.pk], changes) for box, changes in batch.updates]
        batch.deletes = [full[box.pk] for box in batch.deletes]
    touched = {box.image_id for box in batch.creates} | {box.image_id for box, _ in batch.updates}
    touched |= {box.image_id for box in batch.deletes}
    editable = frames_lock_editable(image_ids=touched, user=user, strict=False)
    batch.creates = [box for box in batch.creates if box.image_id in editable]
    batch.updates = [(box, changes) for box, changes in batch.updates if box.image_id in editable]
    batch.deletes = [box for box in batch.deletes if box.image_id in editable]
    return boxes_write_batch(batch=batch, user=user, group=group, with_events=with_events, action_label="interpolate")


@transaction.atomic
def interpolation_run(*, track: Track, user, image_id: int | None = None) -> BatchResult:
    """A person's "interpolate this track" (from frame `image_id`, where its undo then lives too):
    the track locked, its boxes written as one undo step, its change broadcast."""
    mark = action_mark(image_id=image_id, user=user, action="interpolate", track_ids=[track.pk])
    result = track_interpolate(track=track_lock(track), user=user, with_events=(mark,))
    track_broadcast(track_id=track.pk, project_id=track.project_id, user=user)
    return result
