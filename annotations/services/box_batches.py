"""Many box writes as one: interpolation, copy forward, a track's relabel or deletion.

The single-box write path (annotations/services/boxes.py) costs a handful of queries per box;
interpolating a 300-frame gap that way would be 1,500 round trips. Here a batch is a few bulk
statements whatever its size: one INSERT of the new boxes, one UPDATE of the changed ones (their
version + 1, soft deletes included), one INSERT of their AnnotationEvents and one UPDATE that
makes those events (plus any the caller recorded already) a single undo step (`events_group`).

The caller runs inside a transaction and has locked what it reads (the frames it writes, via
`frames_lock_editable`, and the track). Every box written is broadcast after commit with the
usual per-frame message (`box.created`, `box.updated` or `box.deleted`, `{box, user, action}`),
so an open canvas needs nothing new to show it.

Track operations that write many boxes (interpolate, copy-forward, end-track) also record one
box-less event of that action on the frame where the person acted (`action_mark`), in the same
undo group: undo on that frame reverts the whole operation, even when it wrote nothing there.
Those actions are registered undoable with handlers that do nothing themselves (the group's box
events carry the change).
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from annotations.broadcast import broadcast, image_group
from annotations.models import AnnotationEvent, Box, EventAction, Image
from annotations.selectors.boxes import box_snapshot, box_to_dict, user_brief
from annotations.services.events import event_record, events_group, register_action

TRACK_ACTIONS = ("interpolate", "copy-forward", "end-track", "propagate")  # propagate: inference/services/propagation.py


def _nothing_of_its_own(*, event, box, user):
    return None


def track_actions_register() -> None:
    """Make the track operations undoable as one step each (called from AnnotationsConfig.ready())."""
    for action in TRACK_ACTIONS:
        register_action(action, undo=_nothing_of_its_own, redo=_nothing_of_its_own)


def action_mark(*, image_id: int | None, user, action: str, track_ids=()) -> AnnotationEvent | None:
    """The box-less event of a track operation on the frame where the person acted (None: no frame)."""
    if image_id is None:
        return None
    return event_record(image=Image(pk=image_id), user=user, action=action, after={"tracks": sorted(track_ids)})


WRITTEN_FIELDS = ("label", "x_min", "y_min", "x_max", "y_max", "source", "track", "keyframe", "deleted")


@dataclass
class BoxBatch:
    """What to write: new (unsaved) boxes, live boxes with their changes, boxes to soft-delete."""

    creates: list[Box] = field(default_factory=list)
    updates: list[tuple[Box, dict]] = field(default_factory=list)
    deletes: list[Box] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.creates or self.updates or self.deletes)


@dataclass
class BatchResult:
    created: list[Box] = field(default_factory=list)
    updated: list[Box] = field(default_factory=list)
    deleted: list[Box] = field(default_factory=list)
    events: list[AnnotationEvent] = field(default_factory=list)

    @property
    def boxes(self) -> list[Box]:
        return [*self.created, *self.updated, *self.deleted]


def boxes_write_batch(
    *, batch: BoxBatch, user, group: str | None, with_events: tuple = (), action_label: str = ""
) -> BatchResult:
    """Write `batch` in bulk, record one event per box, group them with `with_events` into one undo
    step named `group` (None: the caller groups `result.events` itself), and broadcast each box
    after commit. Boxes in `updates`/`deletes` must be
    live and locked by the caller's transaction; unchanged updates are dropped."""
    now = timezone.now()
    result = BatchResult()
    events: list[AnnotationEvent] = []
    for box in batch.creates:
        box.created_by = box.updated_by = user
        box.version = 1
    if batch.creates:
        result.created = Box.objects.bulk_create(batch.creates)
        for box in result.created:
            events.append(_event(box, user, EventAction.CREATE, None))
    changed: list[Box] = []
    for box, changes in batch.updates:
        before = box_snapshot(box)
        for name, value in changes.items():
            setattr(box, name, value)
        if _same(before, box_snapshot(box)):
            continue
        changed.append(box)
        result.updated.append(box)
        events.append((box, EventAction.UPDATE, before))
    for box in batch.deletes:
        before = box_snapshot(box)
        box.deleted = True
        changed.append(box)
        result.deleted.append(box)
        events.append((box, EventAction.DELETE, before))
    for box in changed:
        box.version += 1
        box.updated_by, box.updated_at = user, now
    if changed:
        Box.objects.bulk_update(changed, [*WRITTEN_FIELDS, "version", "updated_by", "updated_at"])
    rows = [item if isinstance(item, AnnotationEvent) else _event(item[0], user, item[1], item[2]) for item in events]
    result.events = AnnotationEvent.objects.bulk_create(rows)
    if group is not None:
        events_group([*with_events, *result.events], group)
    batch_broadcast_on_commit(result, user, action_label)
    return result


def _same(before: dict, after: dict) -> bool:
    return {k: v for k, v in before.items() if k != "version"} == {k: v for k, v in after.items() if k != "version"}


def _event(box: Box, user, action: str, before: dict | None) -> AnnotationEvent:
    return AnnotationEvent(
        image_id=box.image_id, box=box, user=user, action=action, before=before, after=box_snapshot(box)
    )


def batch_broadcast_on_commit(result: BatchResult, user, action_label: str) -> None:
    """One on_commit callback for the whole batch, payloads rendered now (labels and users are loaded)."""
    who = user_brief(user)
    messages = [
        (image_group(box.image_id), kind, {"box": box_to_dict(box), "user": who, "action": action_label or action})
        for kind, action, boxes in (
            ("box.created", EventAction.CREATE, result.created),
            ("box.updated", EventAction.UPDATE, result.updated),
            ("box.deleted", EventAction.DELETE, result.deleted),
        )
        for box in boxes
    ]
    if messages:
        transaction.on_commit(lambda: [broadcast(group, kind, payload) for group, kind, payload in messages])
