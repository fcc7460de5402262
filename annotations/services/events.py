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
