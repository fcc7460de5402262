"""Tracks: one object followed across the frames of a sequence. Create, change, delete.

- A track's `number` is the next one in its project (1, 2, 3…), allocated under the project
  row's lock, so concurrent creates never collide (the unique constraint stays the backstop).
- A track's boxes carry the track's label: relabelling a track relabels its live boxes (one
  undo step), and a box joining a track takes its label (annotations/services/box_tracks.py).
- Deleting a track deletes its non-keyframe boxes (interpolated or tracked: they only exist
  because of the track) and keeps its keyframes (boxes people drew) as plain boxes without a
  track; that is one undo step, which brings the boxes back without the track.

Every change is broadcast after commit on the project's group: `track.created`, `track.updated`
`{track: <track JSON>, user}`, and `track.deleted` `{track: {id, project, number}, user}`; so are
the tracks an import makes (`tracks_created_broadcast`).
"""

import functools

from django.db import transaction
from django.db.models import Max

from annotations.broadcast import broadcast_on_commit, project_group
from annotations.errors import InvalidInput
from annotations.models import Label, Project, Sequence, Track
from annotations.selectors.boxes import user_brief
from annotations.selectors.tracks import (
    track_live_boxes,
    track_to_dict,
    track_with_details,
    tracks_annotated,
    tracks_mark_ended,
)
from annotations.services.box_batches import BoxBatch, boxes_write_batch
from annotations.services.frames import frames_lock_editable

UNSET = object()


def track_broadcast(*, track_id: int, project_id: int, user) -> None:
    """`track.updated` with the track as committed (its frame range and count read after commit)."""

    def payload() -> dict:
        track = Track.objects.filter(pk=track_id).first()
        return {"track": track_to_dict(track_with_details(pk=track_id)) if track else None, "user": user_brief(user)}

    broadcast_on_commit(project_group(project_id), "track.updated", payload)


def tracks_created_broadcast(*, track_ids: list[int], project_id: int, user) -> None:
    """`track.created` `{track, user}` for each of these tracks once committed, as committed: made with
    their boxes (an import), their frame range and count are read then, in one read for them all."""
    who = user_brief(user) if getattr(user, "pk", None) else None

    @functools.cache
    def committed() -> dict[int, Track]:
        tracks = tracks_annotated(Track.objects.filter(pk__in=track_ids))
        return {track.pk: track for track in tracks_mark_ended(tracks)}

    def payload(track_id: int) -> dict:
        track = committed().get(track_id)  # None: deleted in the meantime
        return {"track": track_to_dict(track) if track else None, "user": who}

    for track_id in track_ids:
        broadcast_on_commit(project_group(project_id), "track.created", functools.partial(payload, track_id))


def _check_refs(*, project_id: int, label: Label | None, sequence: Sequence | None) -> None:
    if label is not None and label.project_id != project_id:
        raise InvalidInput("The label belongs to another project.", label=["Unknown label for this project."])
    if sequence is not None and sequence.project_id != project_id:
        raise InvalidInput("The sequence belongs to another project.", sequence=["Unknown sequence for this project."])


def tracks_create(*, project_id: int, user, labels: list[Label], sequence_id: int | None = None) -> list[Track]:
    """New, empty tracks (one per label given) with the project's next numbers; broadcast on commit
    (with the boxes the caller gives them meanwhile).
    Run inside a transaction: the project row serialises number allocation (NO KEY: frames and
    boxes referencing the project are not blocked by it); the unique constraint is the backstop."""
    Project.objects.select_for_update(no_key=True).filter(pk=project_id).values_list("pk", flat=True).first()
    top = Track.objects.filter(project_id=project_id).aggregate(m=Max("number"))["m"] or 0
    creator = user if user.pk else None
    tracks = Track.objects.bulk_create(
        Track(project_id=project_id, label=label, sequence_id=sequence_id, number=top + n, created_by=creator)
        for n, label in enumerate(labels, start=1)
    )
    tracks_created_broadcast(track_ids=[track.pk for track in tracks], project_id=project_id, user=user)
    return tracks


@transaction.atomic
def track_create(*, project: Project, user, label: Label, sequence: Sequence | None = None) -> Track:
    """A new, empty track with the project's next number."""
    _check_refs(project_id=project.pk, label=label, sequence=sequence)
    return tracks_create(project_id=project.pk, user=user, labels=[label], sequence_id=getattr(sequence, "pk", None))[0]


def track_lock(track: Track) -> Track:
    """Lock the track row until commit (NO KEY: boxes may still reference it) and return it fresh."""
    return Track.objects.select_for_update(no_key=True, of=("self",)).select_related("label").get(pk=track.pk)


@transaction.atomic
def track_update(*, track: Track, user, label: Label | None = None, sequence=UNSET) -> Track:
    """Change a track's label (its live boxes follow, one undo step) or its sequence (null allowed)."""
    _check_refs(project_id=track.project_id, label=label, sequence=None if sequence is UNSET else sequence)
    track = track_lock(track)
    fields = []
    if label is not None and label.pk != track.label_id:
        boxes = list(track_live_boxes(track))
        # All of them or none (an approved frame refuses an annotator): a track's boxes carry its label.
        frames_lock_editable(image_ids={box.image_id for box in boxes}, user=user)
        batch = BoxBatch(updates=[(box, {"label": label}) for box in boxes])
        boxes_write_batch(batch=batch, user=user, group="track-label")
        track.label = label
        fields.append("label")
    if sequence is not UNSET and sequence != track.sequence:
        track.sequence = sequence
        fields.append("sequence")
    if fields:
        track.save(update_fields=fields)
        track_broadcast(track_id=track.pk, project_id=track.project_id, user=user)
    return track


@transaction.atomic
def track_delete(*, track: Track, user) -> None:
    """Delete the track: its non-keyframe boxes are deleted, its keyframes stay without a track."""
    track = track_lock(track)
    boxes = list(track_live_boxes(track))
    frames_lock_editable(image_ids={box.image_id for box in boxes}, user=user)
    batch = BoxBatch(
        updates=[(box, {"track": None}) for box in boxes if box.keyframe],
        deletes=[box for box in boxes if not box.keyframe],
    )
    boxes_write_batch(batch=batch, user=user, group="track-delete")
    gone = {"id": track.pk, "project": track.project_id, "number": track.number}
    # The unlinked boxes' snapshots name the deleted track; undo restores them without it.
    track.delete()
    broadcast_on_commit(project_group(gone["project"]), "track.deleted", {"track": gone, "user": user_brief(user)})
