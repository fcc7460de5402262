"""Where the single-box write path (annotations/services/boxes.py) meets tracks: three hooks.

- `box_track_prepare` — before a person's create or update is saved: a change by a person makes
  the box a keyframe; a box joining a track must be in the track's project (and sequence, when
  the track has one; a track without one adopts its first frame's), takes the track's label
  (a different label is refused: relabel the track instead), and a track has at most one live
  box per frame (409 naming the box already there; the database constraint stays the backstop).
- `box_track_written` — after the write and its event: re-interpolate every track whose
  keyframes changed (the box's, and the one it left), recorded with the edit as one undo step.
- `box_track_restore` — undo/redo put a box's track, keyframe flag and source back too; a track
  deleted since is not restored (the box stays without one).

A box without a track costs these hooks no query.
"""

from annotations.errors import Conflict, InvalidInput
from annotations.models import AnnotationEvent, Box, Track
from annotations.services.events import events_group
from annotations.services.interpolation import track_interpolate
from annotations.services.tracks import track_broadcast, track_lock

TRACK_FIELDS = ("track", "keyframe", "source")


def box_track_prepare(*, box: Box, changed: set[str] | None = None) -> None:
    """Check and complete a box a person is creating (`changed` None) or changing (`changed`: the
    field names sent) before it is saved; see the module docstring."""
    if changed:
        box.keyframe = True
    if box.track_id is None or (changed is not None and not changed & {"track", "label"}):
        return
    track, image = box.track, box.image
    if track.project_id != image.project_id:
        raise InvalidInput("The track belongs to another project.", track=["Unknown track for this project."])
    if box.label_id != track.label_id:
        if changed is not None and "label" not in changed:
            box.label = track.label  # joining a track: the box takes its label
        else:
            raise InvalidInput(
                f"Track #{track.number} is a {track.label.name}; change the track's label instead.",
                label=[f"A box of track #{track.number} has the track's label ({track.label.name})."],
            )
    if track.sequence_id is None and image.sequence_id is not None:
        track.sequence_id = image.sequence_id
        track.save(update_fields=["sequence"])
    elif track.sequence_id is not None and image.sequence_id != track.sequence_id:
        raise InvalidInput(
            f"Track #{track.number} follows another sequence than this frame's.",
            track=["The track belongs to another sequence."],
        )
    taken = (
        Box.objects.filter(track_id=track.pk, image_id=image.pk, deleted=False)
        .exclude(pk=box.pk)
        .values_list("pk", flat=True)
        .first()
    )
    if taken is not None:
        raise Conflict(
            f"Track #{track.number} already has a box on this frame (box {taken}); change that one instead.", box=taken
        )


def box_track_written(*, box: Box, user, event: AnnotationEvent, before: dict | None) -> None:
    """After a person's write of `box` (recorded as `event`; `before`: its snapshot before, None for
    a create): re-interpolate the tracks whose keyframes changed, as one undo step with the edit."""
    old_track = (before or {}).get("track")
    if box.track_id is None and old_track is None:
        return
    touched: list[int] = []
    if box.track_id is not None and box.keyframe:
        touched.append(box.track_id)
    if old_track is not None and old_track not in touched and (before or {}).get("keyframe", True):
        touched.append(old_track)
    events = []
    for track in Track.objects.filter(pk__in=touched).order_by("pk"):
        events += track_interpolate(track=track_lock(track), user=user, group=None).events
    events_group([event, *events], "edit")
    for track_id in {t for t in (box.track_id, old_track) if t is not None}:
        track_broadcast(track_id=track_id, project_id=box.image.project_id, user=user)


def box_track_restore(*, box: Box, snapshot: dict) -> None:
    """Put the track, keyframe flag and source of a snapshot back on `box` (not yet saved)."""
    box.keyframe = snapshot.get("keyframe", box.keyframe)
    box.source = snapshot.get("source", box.source)
    track_id = snapshot.get("track", box.track_id)
    if track_id is not None and track_id != box.track_id and not Track.objects.filter(pk=track_id).exists():
        track_id = None
    box.track_id = track_id
