"""Fan-out of committed changes to websocket groups.

Services call `broadcast_on_commit`; the message leaves only once the transaction has
committed, so a rolled-back write is never shown to anyone.

Inside `broadcasts_held()` (the HTTP handler wraps each request's synchronous work in it) a
committed message is queued instead of sent, and the handler sends the queue, in order, on its
event loop before the response: the request thread does not hop to the loop and back for each
message, which cost about a tenth of a box save's CPU (bench/api_boxes.py).
"""

import contextlib
import logging
from collections.abc import Callable
from contextvars import ContextVar

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def image_group(image_id: int) -> str:
    return f"image.{image_id}"


def project_group(project_id: int) -> str:
    return f"project.{project_id}"


def user_group(user_id: int) -> str:
    """Every live socket of one user, whatever it views: access changes reach them here."""
    return f"user.{user_id}"


def project_access_group(project_id: int) -> str:
    """Every live socket inside one project (its frames and its page), for access changes only."""
    return f"access.project.{project_id}"


_held: ContextVar[list | None] = ContextVar("broadcasts_held", default=None)


@contextlib.contextmanager
def broadcasts_held():
    """Within: `broadcast` queues `(group, message)` in the list this yields; send it with `broadcasts_send`."""
    held = []
    token = _held.set(held)
    try:
        yield held
    finally:
        _held.reset(token)


async def broadcasts_send(held: list) -> None:
    """Send what `broadcasts_held` queued, in order, from the event loop."""
    layer = get_channel_layer()
    for group, message in held:
        try:
            await layer.group_send(group, message)
        except Exception:  # a lost live update must never fail the write that caused it
            logger.exception("Broadcast of %s to %s failed", message["type"], group)


def broadcast(group: str, message_type: str, payload: dict) -> None:
    """Send now (or queue it, inside `broadcasts_held`); a message type like `box.updated` reaches
    the consumer method `box_updated`."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": message_type, **payload}
    held = _held.get()
    if held is not None:
        held.append((group, message))
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # a lost live update must never fail the write that caused it
        logger.exception("Broadcast of %s to %s failed", message_type, group)


def broadcast_on_commit(group: str, message_type: str, payload: dict | Callable[[], dict]) -> None:
    """`payload` may be a function, called after commit, for figures that must be read then."""
    transaction.on_commit(lambda: broadcast(group, message_type, payload() if callable(payload) else payload))
