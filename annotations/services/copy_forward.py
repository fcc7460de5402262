"""Copy forward: the "advance and adjust" loop of annotating a clip, one undo step.

The chosen live boxes of a frame (or all of them) are copied to the next frame of its sequence
(frame order; frames without a sequence: the next such frame of the project) as members of the
same tracks, as keyframes drawn by the person who asked (`source=human`). A box without a track
gets a new one first (the original joins it). Where a track already has a box on the next frame
(interpolated, tracked or drawn), that box is moved to the copy instead of adding a second one.
Then the tracks are re-interpolated (a moved box may be a new keyframe before a gap).
Everything — the new tracks' members, the copies, the re-interpolation — is one undo step.
"""

from dataclasses import asdict


from annotations.errors import InvalidInput
from annotations.keyframes import Rect
from annotations.models import Box, BoxSource, Image, Track
from annotations.selectors.tracks import frames_after
from annotations.services.box_batches import BoxBatch, action_mark, boxes_write_batch
from annotations.services.events import events_group
from annotations.services.frames import frame_start, frames_lock_editable
from annotations.services.interpolation import track_interpolate
from annotations.services.locking import frame_write
from annotations.services.tracks import track_broadcast, track_lock, tracks_create


def next_frame(image: Image) -> Image | None:
    """The frame after `image` in its sequence, in frame order."""
    return next(iter(frames_after(image, 1)), None)


def _chosen(image: Image, boxes) -> list[Box]:
    live = Box.objects.filter(image=image, deleted=False).select_related("label", "created_by", "updated_by", "image")
    if boxes == "all":
        chosen = list(live.order_by("id"))
        if not chosen:
            raise InvalidInput("This frame has no boxes to copy forward.")
        return chosen
    chosen = list(live.filter(pk__in=boxes).order_by("id"))
    missing = sorted(set(boxes) - {box.pk for box in chosen})
    if missing:
        raise InvalidInput(f"Not live boxes of this frame: {missing}.", boxes=missing)
    return chosen


@frame_write
def boxes_copy_forward(*, image: Image, user, boxes) -> tuple[Image, list[Box]]:
    """Copy `boxes` (ids on `image`, or "all") to the next frame; returns (that frame, its boxes written)."""
    target = next_frame(image)
    if target is None:
        raise InvalidInput("This is the last frame of its sequence: there is no next frame to copy to.")
    frames_lock_editable(image_ids={image.pk, target.pk}, user=user)
    chosen = _chosen(image, boxes)
    frame_start(image=target, user=user)

    untracked = [box for box in chosen if box.track_id is None]
    sequence_id = image.sequence_id
    new_tracks = tracks_create(
        project_id=image.project_id, user=user, labels=[box.label for box in untracked], sequence_id=sequence_id
    )
    joined = BoxBatch(updates=[(box, {"track": track}) for box, track in zip(untracked, new_tracks)])
    first = boxes_write_batch(batch=joined, user=user, group=None, action_label="copy-forward")

    there = {
        box.track_id: box
        for box in Box.objects.filter(image=target, deleted=False, track_id__in=[box.track_id for box in chosen])
        .select_related("label", "created_by", "updated_by")
    }
    copies = BoxBatch()
    for box in chosen:
        inside = Rect(box.x_min, box.y_min, box.x_max, box.y_max).clipped(target.width, target.height)
        if inside is None:  # frames of one clip share a size; a smaller next frame may cut a box off
            continue
        rect = asdict(inside)
        existing = there.get(box.track_id)
        if existing is None:
            copies.creates.append(
                Box(image=target, label=box.label, track=box.track, source=BoxSource.HUMAN, keyframe=True, **rect)
            )
        else:
            copies.updates.append((existing, {**rect, "label": box.label, "keyframe": True}))
    second = boxes_write_batch(batch=copies, user=user, group=None, action_label="copy-forward")

    track_ids = sorted({box.track_id for box in chosen})
    mark = action_mark(image_id=image.pk, user=user, action="copy-forward", track_ids=track_ids)
    events = [mark, *first.events, *second.events]
    for track_id in track_ids:
        events += track_interpolate(track=track_lock(Track(pk=track_id)), user=user, group=None).events
        track_broadcast(track_id=track_id, project_id=image.project_id, user=user)
    events_group(events, "copy-forward")
    return target, [*second.created, *second.updated]
