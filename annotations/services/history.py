"""Server-side history: every change is an AnnotationEvent; undo and redo are computed from them.

Per user per image, and it survives reloads because it lives in the database:

- the **undo stack** is the user's own undoable events on the frame that are not `undone`,
  newest on top;
- the **redo stack** is replayed from the user's undo/redo events after their latest
  undoable action: an undo pushes its target, a redo pops it. So any new undoable action
  clears the redo stack without writing anything.

Undo/redo are themselves recorded (action `undo`/`redo`, `reverts` = the target event,
`before`/`after` = the box around the step) and flip `undone` on the target.

**The locking rule** is enforced here, for every action, before any handler runs: the frame
row is locked first (`ensure_frame_editable`, the lock order of annotations/services/locking.py,
which every edit of the frame follows), then the target is chosen, then its box is locked and
the last event on that box must be this user's and carry the box's current version. Otherwise
someone else changed the box since, and the step is refused with StaleVersion (409, with the
current box). Handlers therefore never need to, and cannot, skip it.

**Registry: making another app's actions undoable.** Call, once at start-up from your
AppConfig.ready(), so the action is known before the first undo::

    from annotations.services.events import register_action
    register_action("accept", undo=prediction_accept_undo, redo=prediction_accept_redo)

Each handler is called as ``handler(*, event, box, user)`` inside the undo/redo transaction:
`event` is the target AnnotationEvent (use its `before`/`after`), `box` the target's box
already locked and version-checked (None when the event has no box). It returns the box as
it is after the step, or None when no box is involved. History infers the websocket message
from the box's state (deleted → live: `box.created`, live → deleted: `box.deleted`, live →
live: `box.updated`) and broadcasts it on commit; a handler broadcasts anything else itself
(e.g. the prediction's status) with `broadcast_on_commit`. A handler raises a DomainError
(Conflict, InvalidInput…) to refuse. Events must be recorded with `event_record(...,
box=box, after=box_snapshot(box))` so the locking rule can see the version they left.
`annotations.services.boxes.box_restore` is the building block for putting a box back.

`feedback` is deliberately not undoable: a rating is set by choosing another one.
"""

from dataclasses import dataclass

from annotations.errors import InvalidInput, StaleVersion
from annotations.models import AnnotationEvent, Box, EventAction, Image
from annotations.selectors.boxes import box_snapshot
from annotations.services.boxes import box_broadcast, box_lock
from annotations.services.events import (
    action_handler,
    event_record,
    events_group,
    events_group_range,
    undoable_actions,
)
from annotations.services.frames import ensure_frame_editable, frames_lock_editable
from annotations.services.locking import frame_write


@dataclass(frozen=True)
class HistoryStep:
    """What an undo or redo did: the new event, the event it acted on, and the box after it."""

    event: AnnotationEvent
    target: AnnotationEvent
    box: Box | None
    boxes: tuple = ()  # every box the step touched: one, or each of a group's (e.g. accept-all)


def undo_target(*, image: Image, user) -> AnnotationEvent | None:
    """The event the user's next undo on this frame would revert, if any."""
    return (
        AnnotationEvent.objects.filter(image=image, user=user, action__in=undoable_actions(), undone=False)
        .order_by("-id")
        .first()
    )


def redo_target(*, image: Image, user) -> AnnotationEvent | None:
    """The event the user's next redo on this frame would re-apply, if any (see module docstring)."""
    last_action_id = (
        AnnotationEvent.objects.filter(image=image, user=user, action__in=undoable_actions())
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    if last_action_id is None:
        return None
    stack: list[int] = []
    steps = AnnotationEvent.objects.filter(
        image=image, user=user, id__gt=last_action_id, action__in=(EventAction.UNDO, EventAction.REDO)
    ).order_by("id")
    for action, reverts_id in steps.values_list("action", "reverts_id"):
        if action == EventAction.UNDO:
            stack.append(reverts_id)
        elif stack:
            stack.pop()
    if not stack or stack[-1] is None:
        return None
    return AnnotationEvent.objects.filter(pk=stack[-1], undone=True).first()


def history_undo(*, image: Image, user) -> HistoryStep:
    """Revert the user's latest undoable change on this frame. Nothing to undo → InvalidInput (400)."""
    return _step(image=image, user=user, direction=EventAction.UNDO)


def history_redo(*, image: Image, user) -> HistoryStep:
    """Re-apply the user's most recently undone change. Nothing to redo → InvalidInput (400)."""
    return _step(image=image, user=user, direction=EventAction.REDO)


@frame_write
def _step(*, image: Image, user, direction: str) -> HistoryStep:
    # The frame first (the lock order of annotations/services/locking.py), the same lock every
    # edit of this frame takes: the target chosen below is the user's latest change as committed,
    # and no edit can land between choosing it and reverting it. (A double-clicked undo queues
    # here too, so it cannot revert the same event twice.)
    ensure_frame_editable(image=image, user=user)
    find = undo_target if direction == EventAction.UNDO else redo_target
    target = find(image=image, user=user)
    if target is None:
        raise InvalidInput(f"Nothing to {direction}.")
    # A group (events sharing `after["group"]`, e.g. one accept-all) is one step: each member is
    # reverted (newest first) or re-applied (oldest first) with its own undo/redo event, so the
    # redo stack stays one entry per event; a member someone changed since refuses the whole step.
    # A group may span frames (copy forward, interpolation): each of them is locked too, and each
    # member's undo/redo event is recorded on its own frame, so every frame's redo stack holds.
    members = _group_of(target, direction)
    frames_lock_editable(image_ids={m.image_id for m in members} - {image.pk}, user=user)
    steps = [
        _apply(image=image if t.image_id == image.pk else t.image, user=user, direction=direction, target=t)
        for t in members
    ]
    last = steps[-1]
    return HistoryStep(last.event, last.target, last.box, tuple(s.box for s in steps if s.box is not None))


def group_key(events: list[AnnotationEvent], name: str) -> None:
    """Make these events (recorded in one transaction) one undo step: undone and redone together."""
    events_group(events, name)


def _group_of(target: AnnotationEvent, direction: str) -> list[AnnotationEvent]:
    key = (target.after or {}).get("group")
    if not key:
        return [target]
    undoing = direction == EventAction.UNDO
    members = AnnotationEvent.objects.filter(user_id=target.user_id, undone=not undoing, after__group=key)
    span = events_group_range(key)
    if span is None:  # a key from before groups could span frames: one frame, one action
        members = members.filter(image_id=target.image_id, action=target.action)
    else:
        members = members.filter(id__range=span).select_related("image")
    return list(members.order_by("-id" if undoing else "id"))


def _apply(*, image: Image, user, direction: str, target: AnnotationEvent) -> HistoryStep:
    handler = action_handler(target.action, direction)

    box, was_live = None, False
    if target.box_id is not None:
        box = box_lock(target.box_id)
        _check_unchanged_since(box=box, user=user, target=target, direction=direction)
        was_live = not box.deleted

    before = box_snapshot(box) if box is not None else None
    result = handler(event=target, box=box, user=user)
    target.undone = direction == EventAction.UNDO
    target.save(update_fields=["undone"])
    after = box_snapshot(result) if result is not None else None
    event = event_record(
        image=image, box=result or box, user=user, action=direction, before=before, after=after, reverts=target
    )
    if result is not None:
        is_live = not result.deleted
        if was_live or is_live:
            message = "box.updated" if was_live and is_live else ("box.created" if is_live else "box.deleted")
            box_broadcast(box=result, user=user, message_type=message, action=direction)
    return HistoryStep(event=event, target=target, box=result)


def _check_unchanged_since(*, box: Box, user, target: AnnotationEvent, direction: str) -> None:
    """The locking rule: the box's last change is this user's and left the current version, and the
    box is exactly as the target left it (undo) or found it (redo) — so a step only ever reverts
    or re-applies the change it names, never one that an edit has since overtaken."""
    last = AnnotationEvent.objects.filter(box_id=box.pk).order_by("-id").values("user_id", "after").first()
    after = (last or {}).get("after") or {}
    changed = last is None or last["user_id"] != user.pk or after.get("version", box.version) != box.version
    expected = target.after if direction == EventAction.UNDO else target.before
    if changed or not _box_matches(box, expected):
        raise StaleVersion(
            current=box, detail=f"Someone else changed this box since; it cannot be {direction}ne automatically."
        )


SNAPSHOT_STATE = ("label", "x_min", "y_min", "x_max", "y_max")


def _box_matches(box: Box, snapshot: dict | None) -> bool:
    """Whether the box is in the state a snapshot recorded (None or `deleted`: deleted; versions aside)."""
    if snapshot is None or snapshot.get("deleted"):
        return box.deleted
    current = box_snapshot(box)
    return not box.deleted and all(current[key] == snapshot.get(key, current[key]) for key in SNAPSHOT_STATE)
