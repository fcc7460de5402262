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

from django.db.models import F, Max
from django.utils import timezone

from annotations.errors import Conflict, InvalidInput, StaleVersion
from annotations.models import AnnotationEvent, Box, EventAction, Image, Label
from annotations.selectors.boxes import box_snapshot
from annotations.services.box_batches import TRACK_ACTIONS, BatchResult, batch_broadcast_on_commit
from annotations.services.boxes import RESTORED_FIELDS, box_broadcast, box_lock, box_restore
from annotations.services.events import action_handler, event_record, events_group, undoable_actions
from annotations.services.frames import ensure_frame_editable, frames_lock_editable
from annotations.services.locking import frame_write
from annotations.signals import box_changed


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
    if _bulk_applicable(members):
        return _bulk_step(image=image, user=user, direction=direction, members=members)
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
    undoing = direction == EventAction.UNDO
    members = AnnotationEvent.objects.filter(user_id=target.user_id, undone=not undoing)
    if target.group:
        members = members.filter(group=target.group).select_related("image")
    else:  # a group recorded before the `group` column: its key is in `after`, on one frame
        key = (target.after or {}).get("group")
        if not key:
            return [target]
        members = members.filter(image_id=target.image_id, action=target.action, after__group=key)
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
BULK_ACTIONS = frozenset((EventAction.CREATE, EventAction.UPDATE, EventAction.DELETE, *TRACK_ACTIONS))


def _bulk_applicable(members: list[AnnotationEvent]) -> bool:
    """A group of plain box changes (and track operations' marks), each box once: it is undone or
    redone with a few statements (`_bulk_step`) instead of a handful of queries per member."""
    boxes = [m.box_id for m in members if m.box_id is not None]
    return len(members) > 2 and all(m.action in BULK_ACTIONS for m in members) and len(boxes) == len(set(boxes))


def _bulk_step(*, image: Image, user, direction: str, members: list[AnnotationEvent]) -> HistoryStep:
    """`_apply` for every member at once, with the same locking rule and the same outcome."""
    undoing = direction == EventAction.UNDO
    box_ids = sorted(m.box_id for m in members if m.box_id is not None)
    boxes = Box.objects.select_for_update(of=("self",)).select_related("created_by").filter(pk__in=box_ids)
    boxes = {box.pk: box for box in boxes.order_by("pk")}
    latest = AnnotationEvent.objects.filter(box_id__in=box_ids).values("box_id").annotate(last=Max("id")).values("last")
    last = {row["box_id"]: row for row in AnnotationEvent.objects.filter(pk__in=latest).values("box_id", "user_id", "after")}
    wanted = {((m.before if undoing else m.after) or {}).get("label") for m in members}
    labels = Label.objects.in_bulk((wanted | {box.label_id for box in boxes.values()}) - {None})
    changed, events = BatchResult(), []
    flags: dict[bool, list[int]] = {True: [], False: []}
    rewritten = []
    for member in members:
        box = boxes.get(member.box_id)
        if member.box_id is not None and box is None:
            raise Conflict("The box of this change no longer exists.")
        if box is None:  # a track operation's mark: nothing of its own to revert
            events.append(AnnotationEvent(image_id=member.image_id, user=user, action=direction, reverts=member))
            continue
        row = last.get(box.pk) or {}
        moved_on = row.get("user_id") != user.pk or (row.get("after") or {}).get("version", box.version) != box.version
        if moved_on or not _box_matches(box, member.after if undoing else member.before):
            box.label = labels[box.label_id]
            raise StaleVersion(current=box, detail=f"Someone else changed this box since; it cannot be {direction}ne.")
        before, was_live = box_snapshot(box), not box.deleted
        box_restore(box=box, user=user, snapshot=member.before if undoing else member.after, save=False)
        box.label = labels[box.label_id]
        after = box_snapshot(box)
        if {k for k in after if after[k] != before[k]} <= {"deleted", "version"}:
            flags[box.deleted].append(box.pk)
        else:
            rewritten.append(box)
        (changed.updated if was_live and not box.deleted else changed.deleted if was_live else changed.created).append(box)
        events.append(
            AnnotationEvent(
                image_id=member.image_id, box=box, user=user, action=direction, before=before, after=after, reverts=member
            )
        )
    now = timezone.now()
    for deleted, pks in flags.items():
        if pks:
            live = Box.objects.filter(pk__in=pks)
            live.update(deleted=deleted, version=F("version") + 1, updated_by=user, updated_at=now)
    for box in rewritten:
        box.updated_at = now
    if rewritten:
        Box.objects.bulk_update(rewritten, RESTORED_FIELDS)
    AnnotationEvent.objects.filter(pk__in=[m.pk for m in members]).update(undone=undoing)
    recorded = AnnotationEvent.objects.bulk_create(events)
    for box in changed.created + changed.updated:
        box_changed.send(sender=Box, box=box, user=user)
    batch_broadcast_on_commit(changed, user, direction)
    touched = tuple(changed.boxes)
    return HistoryStep(recorded[-1], members[-1], touched[-1] if touched else None, touched)


def _box_matches(box: Box, snapshot: dict | None) -> bool:
    """Whether the box is in the state a snapshot recorded (None or `deleted`: deleted; versions aside)."""
    if snapshot is None or snapshot.get("deleted"):
        return box.deleted
    current = box_snapshot(box)
    return not box.deleted and all(current[key] == snapshot.get(key, current[key]) for key in SNAPSHOT_STATE)
