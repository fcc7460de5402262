"""The spine of a frame's history: the event record every change writes, and the registry of
undoable actions that `history` dispatches to.

It imports no other service, so any service (boxes, review, another app's) can record events
and register its undo/redo handlers without importing `history`, and `history` can import the
services whose building blocks it uses without a cycle. Handlers are registered from each app's
`AppConfig.ready()`, so the registry is complete before the first request.
"""

from collections.abc import Callable
from dataclasses import dataclass

from annotations.models import AnnotationEvent, Box, Image


@dataclass(frozen=True)
class UndoableAction:
    undo: Callable
    redo: Callable


_REGISTRY: dict[str, UndoableAction] = {}


def register_action(action: str, *, undo: Callable, redo: Callable) -> None:
    """Make events with this `action` undoable; see `annotations.services.history` for the handler contract."""
    _REGISTRY[str(action)] = UndoableAction(undo=undo, redo=redo)


def undoable_actions() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def action_handler(action: str, direction: str) -> Callable:
    """The registered `undo` or `redo` handler of an action."""
    return getattr(_REGISTRY[action], direction)


def event_record(
    *,
    image: Image,
    user,
    action: str,
    box: Box | None = None,
    before: dict | None = None,
    after: dict | None = None,
    reverts: AnnotationEvent | None = None,
) -> AnnotationEvent:
    """Record one change to a frame. Call it inside the write's transaction."""
    return AnnotationEvent.objects.create(
        image=image, box=box, user=user, action=action, before=before, after=after, reverts=reverts
    )


def events_group(events: list[AnnotationEvent], name: str) -> str | None:
    """Make events recorded in one transaction one undo step (undone and redone together), even when
    they span frames (copy forward, interpolation): one UPDATE of their indexed `group` column."""
    events = [event for event in events if event is not None]
    if len(events) < 2:
        return None
    ids = [event.pk for event in events]
    key = f"{name}:{min(ids)}"
    AnnotationEvent.objects.filter(pk__in=ids).update(group=key)
    for event in events:
        event.group = key
    return key
