"""End a track at a frame: "the object left the view after this one". One call, one undo step.

The frame named is the track's last: its box there (if any) becomes a keyframe (a person said the
object is there), and the track's non-keyframe boxes after it (interpolated or tracked) are
deleted, so interpolation stops there. Keyframes people drew further on belong to the object
coming back: they, and everything after the first of them, move to a new track (same label and
sequence; MOTChallenge counts a re-entering object as a new identity too), which is then
interpolated on its own. Nothing is lost, and nothing is interpolated across the gap.
"""

from django.db import transaction

from annotations.errors import InvalidInput
from annotations.models import Image, Track
from annotations.selectors.tracks import END_TRACK, sequence_frames, track_live_boxes
from annotations.services.box_batches import BatchResult, BoxBatch, action_mark, boxes_write_batch
from annotations.services.events import events_group
from annotations.services.frames import frames_lock_editable
from annotations.services.interpolation import track_interpolate, track_sequence_id
from annotations.services.tracks import track_broadcast, track_lock, tracks_create


@transaction.atomic
def track_end(*, track: Track, image: Image, user) -> BatchResult:
    """End `track` at `image` (see the module docstring); returns every box written."""
    track = track_lock(track)
    boxes = list(track_live_boxes(track))
    sequence_id = track_sequence_id(track, boxes)
    if image.project_id != track.project_id or (sequence_id is not None and image.sequence_id != sequence_id):
        raise InvalidInput("This frame is not in the track's sequence.", image=["Choose a frame of the track's sequence."])
    order = list(sequence_frames(sequence_id=image.sequence_id, project_id=image.project_id).values_list("id", flat=True))
    position = {pk: index for index, pk in enumerate(order)}
    end = position[image.pk]
    later = [box for box in boxes if position.get(box.image_id, -1) > end]
    comeback = next((position[box.image_id] for box in later if box.keyframe), None)
    batch = BoxBatch()
    batch.updates = [(box, {"keyframe": True}) for box in boxes if box.image_id == image.pk and not box.keyframe]
    batch.deletes = [box for box in later if not box.keyframe and (comeback is None or position[box.image_id] < comeback)]
    moving = [box for box in later if comeback is not None and position[box.image_id] >= comeback]
    frames_lock_editable(image_ids={box.image_id for box in [*later, *(b for b, _ in batch.updates)]}, user=user)
    successor = None
    if moving:
        successor = tracks_create(project_id=track.project_id, user=user, labels=[track.label], sequence_id=sequence_id)[0]
        batch.updates += [(box, {"track": successor}) for box in moving]
    result = boxes_write_batch(batch=batch, user=user, group=None, action_label=END_TRACK)
    events = [action_mark(image_id=image.pk, user=user, action=END_TRACK, track_ids=[track.pk]), *result.events]
    for each in (track, successor):
        if each is not None:
            events += track_interpolate(track=each, user=user, group=None).events
            track_broadcast(track_id=each.pk, project_id=track.project_id, user=user)
    events_group(events, END_TRACK)
    return result
