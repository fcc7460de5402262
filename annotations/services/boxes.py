"""Box writes: create, update and (soft) delete with optimistic locking, history and live fan-out.

Every write runs in one transaction (`@frame_write`): lock the frame, then the box (the lock
order of annotations/services/locking.py; an update or delete locks the box with its own
`UPDATE … WHERE version = %s`) → check (version, approved frame, geometry) → do → record an
AnnotationEvent → broadcast on commit to the frame's websocket group. A rolled-back
write is never broadcast, and a stale `version` changes nothing.
"""

import copy
import math

from django.db import IntegrityError
from django.utils import timezone

from annotations.broadcast import broadcast_on_commit, image_group
from annotations.errors import Conflict, InvalidInput, StaleVersion
from annotations.models import Box, BoxSource, EventAction, Image, Label
from annotations.selectors.boxes import box_snapshot, box_to_dict, user_brief
from annotations.services.box_tracks import TRACK_FIELDS, box_track_prepare, box_track_restore, box_track_written
from annotations.services.events import event_record, register_action
from annotations.services.frames import ensure_frame_editable, frame_start
from annotations.services.locking import frame_write
from annotations.signals import box_changed

COORDS = ("x_min", "y_min", "x_max", "y_max")
EDITABLE_FIELDS = frozenset(("label", "track", *COORDS))


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


@frame_write
def box_create(
    *,
    image: Image,
    user,
    label: Label,
    x_min: float,
    y_min: float,
    x_max: float,
    y_max: float,
    source: str = BoxSource.HUMAN,
    prediction=None,
    action: str = EventAction.CREATE,
    client_key: str | None = None,
    track=None,
    keyframe: bool = True,
) -> Box:
    """Create a box on a frame (version 1); `action` lets the accept-an-AI-box flow record `accept`.
    `client_key` makes the create idempotent: see `box_create_once`."""
    status = ensure_frame_editable(image=image, user=user)
    frame_start(image=image, user=user, status=status)
    box = Box(
        client_key=client_key,
        image=image,
        label=label,
        x_min=x_min,
        y_min=y_min,
        x_max=x_max,
        y_max=y_max,
        source=source,
        prediction=prediction,
        track=track,
        keyframe=keyframe,
        created_by=user,
        updated_by=user,
    )
    box_track_prepare(box=box)
    _check_geometry(box)
    box.save()
    event = event_record(image=image, box=box, user=user, action=action, before=None, after=box_snapshot(box))
    box_broadcast(box=box, user=user, message_type="box.created", action=action)
    box_track_written(box=box, user=user, event=event, before=None)
    return box


def box_create_once(*, image: Image, client_key: str | None, **fields) -> tuple[Box, bool]:
    """Create a box unless this `client_key` already made one on the frame: `(box, created)`.
    Without a key every call creates.

    A client that lost the answer to its create (network drop, timeout) sends it again with
    the same key and gets the box it made, not a twin. Two copies racing each other meet at
    the unique constraint; the loser's transaction rolls back and it returns the winner's box.
    """
    if client_key is None:
        return box_create(image=image, **fields), True
    existing = Box.objects.filter(image=image, client_key=client_key).first()
    if existing is not None:
        return existing, False
    try:
        return box_create(image=image, client_key=client_key, **fields), True
    except IntegrityError:
        existing = Box.objects.filter(image=image, client_key=client_key).first()
        if existing is None:
            raise
        return existing, False


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


def box_check_current(box: Box, *, version: int, user) -> Box:
    """Lock the frame for a change by `user` to `box` (as the caller read it, with image, label and
    created_by): the frame must be one they may still edit, the box live at `version` (else
    StaleVersion with the current box); a `new` frame becomes `in_progress`. Returns a copy to
    change, so a retried transaction (`@frame_write`) starts again from the caller's box.

    When the caller's copy is at `version` (the API's case), the box row is not locked here: the write is `UPDATE … WHERE version = %s`
    (`_save_at_version`), which locks it and checks the version in the same round trip. Every
    change of a live box bumps its version, so a box read at `version` holds what the row holds."""
    status = ensure_frame_editable(image=box.image, user=user)
    if box.deleted or box.version != version:
        # The caller's copy is not at `version` (it may be older than the row): decide on the row.
        box = box_lock(box.pk, known=box)
        if box.deleted or box.version != version:
            raise StaleVersion(current=box)
    frame_start(image=box.image, user=user, status=status)
    return copy.copy(box)


def _save_at_version(box: Box, *, version: int, fields: list[str]) -> None:
    """Write `fields` of `box` (version and updated_by/at already set) if the row is still live at
    `version`: one UPDATE that takes the box's row lock (after the frame's, as the lock order
    wants). A change that slipped in since the caller read the box → StaleVersion with the current box."""
    box.updated_at = timezone.now()
    written = Box.objects.filter(pk=box.pk, version=version, deleted=False).update(
        **{name: getattr(box, name) for name in (*fields, "updated_at")}
    )
    if not written:
        raise StaleVersion(current=box_lock(box.pk))


@frame_write
def box_update(*, box: Box, user, version: int, action: str = EventAction.UPDATE, **changes) -> Box:
    """Apply `changes` (any of label, track, x_min, y_min, x_max, y_max) if `version` is still current.

    A stale version raises StaleVersion with the current box and changes nothing; a change that
    leaves the box as it was is not a new version.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise InvalidInput(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    current = box_check_current(box, version=version, user=user)
    before = box_snapshot(current)
    for name, value in changes.items():
        setattr(current, name, value)
    box_track_prepare(box=current, changed=set(changes))
    _check_geometry(current)
    after = box_snapshot(current)
    if {k: v for k, v in after.items() if k != "version"} == {k: v for k, v in before.items() if k != "version"}:
        return current
    current.version = version + 1
    current.updated_by = user
    _save_at_version(current, version=version, fields=[*COORDS, "label", "track", "keyframe", "version", "updated_by"])
    event = event_record(
        image=current.image, box=current, user=user, action=action, before=before, after=box_snapshot(current)
    )
    box_broadcast(box=current, user=user, message_type="box.updated", action=action)
    box_track_written(box=current, user=user, event=event, before=before)
    box_changed.send(sender=Box, box=current, user=user)
    return current


@frame_write
def box_delete(*, box: Box, user, version: int, action: str = EventAction.DELETE) -> Box:
    """Soft-delete a box (kept for history and undo) if `version` is still current; version + 1."""
    current = box_check_current(box, version=version, user=user)
    before = box_snapshot(current)
    current.deleted = True
    current.version = version + 1
    current.updated_by = user
    _save_at_version(current, version=version, fields=["deleted", "version", "updated_by"])
    event = event_record(
        image=current.image, box=current, user=user, action=action, before=before, after=box_snapshot(current)
    )
    box_broadcast(box=current, user=user, message_type="box.deleted", action=action)
    box_track_written(box=current, user=user, event=event, before=before)
    return current


def box_restore(*, box: Box, user, snapshot: dict | None) -> Box:
    """Put a (locked) box back to a recorded snapshot; None or `deleted` means deleted. Version + 1.

    The building block of undo/redo; the caller holds the lock and has checked the version.
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
    box.save(update_fields=["deleted", "label", *COORDS, *TRACK_FIELDS, "version", "updated_by", "updated_at"])
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
