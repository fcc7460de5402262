"""Box writes: create, update and (soft) delete with optimistic locking, history and live fan-out.

Every write runs in one transaction (`@frame_write`) of two statements (annotations/services/box_sql.py):
one read that locks the frame (the first lock of annotations/services/locking.py's order) and
brings the box, the caller's role and the label asked for; then one statement that writes the box
(`UPDATE … WHERE version = %s`, which locks it) together with its AnnotationEvent. In between,
in Python: the role (404/403), the approved-frame rule (409), the label and the geometry (400),
the frame's first edit (`new` → `in_progress`). After the write, the broadcast to the frame's
websocket group is scheduled for the commit: a rolled-back write is never broadcast, and a
stale `version` changes nothing.

The services take the frame, box and label as objects (in-process callers) or as ids (the API:
then nothing is read before the transaction, and a deleted box is as missing as an unknown one).
"""

import math

from annotations.access import require_member_role
from annotations.broadcast import broadcast_on_commit, image_group
from annotations.errors import Conflict, InvalidInput, NotFound, StaleVersion
from annotations.models import AnnotationEvent, Box, BoxSource, EventAction, Image, Label, Role, Track
from annotations.selectors.boxes import box_snapshot, box_to_dict, user_brief
from annotations.services.box_sql import (
    box_for_change,
    box_insert_with_event,
    box_update_with_event,
    frame_for_create,
    label_asked,
)
from annotations.services.box_tracks import TRACK_FIELDS, box_track_prepare, box_track_restore, box_track_written
from annotations.services.events import register_action
from annotations.services.frames import frame_start, refuse_if_approved
from annotations.services.locking import frame_write
from annotations.signals import box_changed

COORDS = ("x_min", "y_min", "x_max", "y_max")
EDITABLE_FIELDS = frozenset(("label", "track", *COORDS))
UNKNOWN_LABEL = "Unknown label for this project."


def box_broadcast(*, box: Box, user, message_type: str, action: str) -> None:
    """Schedule `box.created|updated|deleted` with `{box, user, action}` for after the commit."""
    payload = {"box": box_to_dict(box), "user": user_brief(user), "action": action}
    broadcast_on_commit(image_group(box.image_id), message_type, payload)


def _check_geometry(box: Box) -> None:
    for name in COORDS:
        value = getattr(box, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InvalidInput(f"{name} must be a finite number.", **{name: ["A finite number is required."]})
        setattr(box, name, float(value))
    box.clean()  # inside the image, min < max, label of the frame's project -> ValidationError (400)


def _label(label: Label | int, row) -> Label:
    """The label object a caller gave, or the one the locked read found for the id it gave (400 if none)."""
    if isinstance(label, Label):
        return label
    found = label_asked(row)
    if found is None:
        raise InvalidInput("Invalid input.", label=[UNKNOWN_LABEL])
    return found


def _track(track: Track | int | None, project_id: int) -> Track | None:
    """The track a caller gave as an object, or the project's track with the id it gave (400 if
    none); None: no track. Only a box in a track costs this query."""
    if track is None or isinstance(track, Track):
        return track
    found = Track.objects.select_related("label").filter(pk=track, project_id=project_id).first()
    if found is None:
        raise InvalidInput("Invalid input.", track=["Unknown track for this project."])
    return found


def _event(*, image: Image, user, action: str, before: dict | None, after: dict) -> AnnotationEvent:
    return AnnotationEvent(image=image, user=user, action=action, before=before, after=after)


def box_create(*, image: Image | int, user, label: Label | int | None, x_min: float, y_min: float, x_max: float,
               y_max: float, source: str = BoxSource.HUMAN, prediction=None, action: str = EventAction.CREATE,
               client_key: str | None = None, track: Track | int | None = None, keyframe: bool = True) -> Box:  # fmt: skip
    """Create a box on a frame (version 1); `action` lets the accept-an-AI-box flow record `accept`.
    `client_key` makes the create idempotent: see `box_create_once`. Without a label the box takes
    its track's."""
    box, _ = box_create_once(image=image, user=user, label=label, x_min=x_min, y_min=y_min, x_max=x_max,
                             y_max=y_max, source=source, prediction=prediction, action=action,
                             client_key=client_key, track=track, keyframe=keyframe)  # fmt: skip
    return box


@frame_write
def box_create_once(*, image: Image | int, user, label: Label | int | None = None, client_key: str | None = None,
                    source: str = BoxSource.HUMAN, prediction=None, action: str = EventAction.CREATE,
                    track: Track | int | None = None, keyframe: bool = True, **coords) -> tuple[Box, bool]:  # fmt: skip
    """Create a box unless this `client_key` already made one on the frame: `(box, created)`.
    Without a key every call creates.

    A client that lost the answer to its create (network drop, timeout) sends it again with
    the same key and gets the box it made, not a twin. Two copies racing each other queue at the
    frame's lock; the second finds the key taken when it inserts (`ON CONFLICT DO NOTHING`) and
    returns the first one's box.
    """
    frame = frame_for_create(pk=getattr(image, "pk", image), user=user,
                             label_id=None if label is None or isinstance(label, Label) else label,
                             client_key=client_key)  # fmt: skip
    if frame is None:
        raise NotFound() if not isinstance(image, Image) else Conflict("This frame no longer exists.")
    role = require_member_role(frame, user=user, role=Role.ANNOTATOR)
    if isinstance(image, Image):
        image.status = frame.status  # as `frame_lock` leaves the caller's copy: the status under the lock
    if getattr(frame, "keyed_box", None) is not None:
        return _box_made_by_key(frame.pk, client_key), False
    track = _track(track, frame.project_id)
    label = track.label if label is None and track is not None else _label(label, frame)
    refuse_if_approved(status=frame.status, role=role)
    box = Box(client_key=client_key, image=frame, label=label, source=source, prediction=prediction,
              track=track, keyframe=keyframe, created_by=user, updated_by=user, **coords)  # fmt: skip
    box_track_prepare(box=box)
    _check_geometry(box)
    if frame_start(image=frame, user=user, status=frame.status) and isinstance(image, Image):
        image.status = frame.status
    event = _event(image=frame, user=user, action=action, before=None, after=box_snapshot(box))
    if not box_insert_with_event(box, event=event):
        return _box_made_by_key(frame.pk, client_key), False
    box_broadcast(box=box, user=user, message_type="box.created", action=action)
    box_track_written(box=box, user=user, event=event, before=None)
    return box, True


def _box_made_by_key(image_id: int, client_key: str) -> Box:
    return Box.objects.select_related("image", "label", "created_by", "updated_by").get(
        image_id=image_id, client_key=client_key
    )


def box_lock(pk: int, *, known: Box | None = None) -> Box:
    """Lock a box row until commit and return it as committed, with its relations loaded.

    After waiting for a lock, PostgreSQL re-reads only the locked row: columns of joined
    tables can come from before the wait. So the lock joins only relations a box never
    changes (image, created_by); label and updated_by come from `known` (the caller's copy
    of the box) when their ids still match, else from a fresh read.
    """
    locked = Box.objects.select_for_update(of=("self",)).select_related("image", "created_by").get(pk=pk)
    if known is None:
        return Box.objects.select_related("image", "label", "created_by", "updated_by").get(pk=pk)
    for relation in ("label", "updated_by"):
        field = Box._meta.get_field(relation)
        if field.is_cached(known) and getattr(known, field.attname) == getattr(locked, field.attname):
            setattr(locked, relation, getattr(known, relation))
    return locked


def _box_to_change(box: Box | int, *, version: int, user, label: Label | int | None = None) -> Box:
    """The box to change, read with its frame locked (`box_for_change`): checked for the caller's
    role (404/403), the approved-frame rule (409) and `version` (StaleVersion with the current box);
    a `new` frame becomes `in_progress`. A box given by id (the API) that is deleted is NotFound.

    The box row itself is not locked here: the write is `UPDATE … WHERE version = %s`
    (`box_update_with_event`), which locks it and checks the version in the same round trip.
    Every change of a live box bumps its version, so a box read at `version` holds what the row
    holds when that UPDATE matches."""
    by_id = not isinstance(box, Box)
    current = box_for_change(pk=box if by_id else box.pk, user=user,
                             label_id=label if label is not None and not isinstance(label, Label) else None)  # fmt: skip
    if current is None or (by_id and current.deleted):
        raise NotFound() if by_id else Conflict("The box no longer exists.")
    role = require_member_role(current, user=user, role=Role.ANNOTATOR)
    refuse_if_approved(status=current.image.status, role=role)
    if current.deleted or current.version != version:
        # Read before the frame's lock was granted, the box may be older than the row: decide on the row.
        current = box_lock(current.pk, known=current)
        if current.deleted or current.version != version:
            raise StaleVersion(current=current)
    frame_start(image=current.image, user=user, status=current.image.status)
    return current


def _save_with_event(box: Box, *, version: int, fields: list[str], user, action: str, before: dict) -> AnnotationEvent:
    """Write `fields` of `box` at `version` + 1 by `user` with its history event (returned), or
    StaleVersion with the current box when a change slipped in since the read."""
    box.version, box.updated_by = version + 1, user
    event = _event(image=box.image, user=user, action=action, before=before, after=box_snapshot(box))
    if not box_update_with_event(box, version=version, fields=[*fields, "version", "updated_by"], event=event):
        raise StaleVersion(current=box_lock(box.pk))
    return event


@frame_write
def box_update(*, box: Box | int, user, version: int, action: str = EventAction.UPDATE, **changes) -> Box:
    """Apply `changes` (any of label, track, x_min, y_min, x_max, y_max) if `version` is still current.

    A stale version raises StaleVersion with the current box and changes nothing; a change that
    leaves the box as it was is not a new version.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise InvalidInput(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    current = _box_to_change(box, version=version, user=user, label=changes.get("label"))
    before = box_snapshot(current)
    for name, value in changes.items():
        if name == "label":
            value = _label(value, current)
        elif name == "track":
            value = _track(value, current.image.project_id)
        setattr(current, name, value)
    box_track_prepare(box=current, changed=set(changes))
    _check_geometry(current)
    if {k: v for k, v in box_snapshot(current).items() if k != "version"} == {k: v for k, v in before.items() if k != "version"}:
        return current  # nothing changed: not a new version
    event = _save_with_event(current, version=version, fields=[*COORDS, "label", "track", "keyframe"], user=user,
                             action=action, before=before)  # fmt: skip
    box_broadcast(box=current, user=user, message_type="box.updated", action=action)
    box_track_written(box=current, user=user, event=event, before=before)
    box_changed.send(sender=Box, box=current, user=user)
    return current


@frame_write
def box_delete(*, box: Box | int, user, version: int, action: str = EventAction.DELETE) -> Box:
    """Soft-delete a box (kept for history and undo) if `version` is still current; version + 1."""
    current = _box_to_change(box, version=version, user=user)
    before = box_snapshot(current)
    current.deleted = True
    event = _save_with_event(current, version=version, fields=["deleted"], user=user, action=action, before=before)
    box_broadcast(box=current, user=user, message_type="box.deleted", action=action)
    box_track_written(box=current, user=user, event=event, before=before)
    return current


RESTORED_FIELDS = ["deleted", "label", *COORDS, *TRACK_FIELDS, "version", "updated_by", "updated_at"]


def box_restore(*, box: Box, user, snapshot: dict | None, save: bool = True) -> Box:
    """Put a (locked) box back to a recorded snapshot; None or `deleted` means deleted. Version + 1.

    The building block of undo/redo; the caller holds the lock and has checked the version.
    `save=False` changes only the instance (a group undo writes many boxes in one statement).
    """
    if snapshot is None or snapshot.get("deleted"):
        box.deleted = True
    else:
        box.deleted = False
        box.label_id = snapshot["label"]
        for name in COORDS:
            setattr(box, name, snapshot[name])
        box_track_restore(box=box, snapshot=snapshot)
    box.version += 1
    box.updated_by = user
    if save:
        box.save(update_fields=RESTORED_FIELDS)
    return box


def _undo_box_change(*, event, box, user):
    if box is None:
        raise Conflict("The box of this change no longer exists.")
    return _restored(box_restore(box=box, user=user, snapshot=event.before), user)


def _redo_box_change(*, event, box, user):
    if box is None:
        raise Conflict("The box of this change no longer exists.")
    return _restored(box_restore(box=box, user=user, snapshot=event.after), user)


def _restored(box: Box, user) -> Box:
    if not box.deleted:
        box_changed.send(sender=Box, box=box, user=user)
    return box


def box_actions_register() -> None:
    """Make create, update and delete undoable (called from AnnotationsConfig.ready())."""
    for action in (EventAction.CREATE, EventAction.UPDATE, EventAction.DELETE):
        register_action(action, undo=_undo_box_change, redo=_redo_box_change)
