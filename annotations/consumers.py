"""Websockets of frames and projects. Thin: authenticate, join the group, relay.

`/ws/images/<id>/` (`ImageConsumer`) and `/ws/projects/<id>/` (`ProjectConsumer`) sit
behind `AllowedHostsOriginValidator(AuthMiddlewareStack(...))` (hitl_project/asgi.py): a
foreign Origin is refused at the handshake, and the session cookie gives `scope["user"]`.

- Anonymous users and non-members: the handshake is accepted and immediately closed with
  code 4403, before anything else is sent. (Closing *before* accept would make the server
  answer HTTP 403, and a browser cannot read that; accept-then-close delivers the code.)
- On connect the client first gets `state`: for a frame `{type: "state", image: {status,
  review_comment, ...}, boxes: [box with version...], viewers: [...]}`, for a project
  `{type: "state", progress: {...}, viewers: {image_id: [...]}}`. A client that reconnects
  after a drop replaces what it had with this, then applies events newer than each box's
  version.
- Then every group event of the types in `RELAYED` is forwarded as is.
- Client → server: `presence.ping` (heartbeat; answered with the frame's `presence`) and, on a
  frame, `box.dragging {box, x_min, y_min, x_max, y_max[, label]}` — ephemeral, relayed to the
  other viewers with the sender's `user`, at most `DRAG_RATE` per second (the excess is dropped).
  Anything else, or malformed JSON, is answered with `{type: "error", detail}`; the connection stays.
- Access is not only checked at connect (`annotations.consumer_access.AccessGuard`): removing
  the member, deleting the project, logging out or deactivating the account closes the socket
  with 4403 within a second, and every inbound message is re-authorised.
"""

import asyncio
import logging
import math
import time

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from annotations.access import can_view_image, can_view_project
from annotations.api.parsers import loads
from annotations.broadcast import image_group, project_access_group, project_group, user_group
from annotations.consumer_access import FORBIDDEN, AccessGuard
from annotations.converters import is_id
from annotations.selectors.boxes import user_brief
from annotations.selectors import live as live_selectors
from annotations.services import presence as presence_service

logger = logging.getLogger(__name__)

RELAYED = (
    "box.created",
    "box.updated",
    "box.deleted",
    "feedback.updated",
    "image.status",
    "presence",
    "box.dragging",
    "detection.started",
    "detection.result",
    "detection.done",
    "detection.failed",
    "detection.decided",
    "project.progress",
    "evaluation.progress",
    "detector.config",
    "track.created",
    "track.updated",
    "track.deleted",
    "members.changed",
    "track.result",
    "track.done",
    "sequence.updated",
    "image.sequence",
)
DRAG_RATE = 20  # messages per second per connection; a canvas redraws at most ~60/s anyway
COORDS = ("x_min", "y_min", "x_max", "y_max")
MAX_CLIENT_MESSAGE = 4096  # a drag or a ping is ~150 characters; nothing bigger is worth parsing


def drag_parse(content: dict) -> dict | None:
    """The relayable part of a client's `box.dragging`, or None when it is malformed.

    `box` is the id of the box being moved, or null while a new box is being drawn.
    """
    box = content.get("box")
    if box is not None and not is_id(box):
        return None
    message = {"box": box}
    for name in COORDS:
        value = content.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return None
        message[name] = float(value)
    label = content.get("label")
    if label is not None and not is_id(label):
        return None
    message["label"] = label
    return message


class RateLimit:
    """Token bucket: `rate` per second, bursts up to `rate`."""

    def __init__(self, rate: float, clock=time.monotonic):
        self.rate, self.clock = rate, clock
        self.tokens, self.last = float(rate), clock()

    def allow(self) -> bool:
        now = self.clock()
        self.tokens = min(self.rate, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class _LiveConsumer(AccessGuard, AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def start_guarded(self):
        """Join the user's group before the access check, so no revocation after it can be missed."""
        self.guard_init()
        self.user = self.scope.get("user")
        if self.user is not None and self.user.is_authenticated:
            await self.join(user_group(self.user.pk))

    async def refuse(self):
        await self.release()
        await self.accept()
        await self.close(code=FORBIDDEN)

    @classmethod
    async def decode_json(cls, text_data):
        return loads(text_data)  # the API's decoder: nesting is bounded, every failure a ValueError

    async def disconnect(self, code):
        await self.release()

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if not await self.inbound_allowed():
            return None
        if text_data and len(text_data) > MAX_CLIENT_MESSAGE:
            return await self.send_error(f"Messages are at most {MAX_CLIENT_MESSAGE} characters.")
        try:
            content = await self.decode_json(text_data) if text_data else None
        except ValueError:
            content = None
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            return await self.send_error("Send JSON objects with a `type`.")
        await self.receive_json(content)

    async def send_error(self, detail: str):
        await self.send_json({"type": "error", "detail": detail})

    async def dispatch(self, message):
        kind = message.get("type", "")
        if kind == "access.changed":
            return await self.access_changed(message)
        if kind in RELAYED:
            if self.revoked:  # events already queued for a socket that has just lost access
                return None
            # Relays touch no database: skip the base dispatch's close_old_connections hop through
            # the shared sync thread, which every viewer would otherwise queue on for every event.
            return await getattr(self, get_handler_name(message))(message)
        if kind.startswith("websocket."):
            return await super().dispatch(message)
        # An event type nobody relays must not tear down every viewer's connection.
        logger.debug("Not relaying %s", kind)

    async def relay(self, event):
        await self.send_json(event)

    box_created = box_updated = box_deleted = feedback_updated = image_status = presence = relay
    detection_started = detection_result = detection_done = detection_failed = detection_decided = relay
    project_progress = evaluation_progress = detector_config = relay
    track_created = track_updated = track_deleted = track_result = track_done = relay
    members_changed = sequence_updated = image_sequence = relay

    async def box_dragging(self, event):
        if event.get("sender") != self.channel_name:
            await self.send_json({k: v for k, v in event.items() if k != "sender"})


class ImageConsumer(_LiveConsumer):
    """`/ws/images/<image_id>/`: one frame's boxes, status, detections and viewers."""

    present = False

    def access_target(self) -> dict:
        return {"image_id": self.image_id}

    async def connect(self):
        await self.start_guarded()
        self.image_id = self.scope["url_route"]["kwargs"]["image_id"]
        if self.user is None or not await database_sync_to_async(can_view_image)(self.user, self.image_id):
            return await self.refuse()
        self.access_checked_at = time.monotonic()
        self.image_id = int(self.image_id)
        self.group = image_group(self.image_id)
        self.drags = RateLimit(DRAG_RATE)
        # Join before reading the state, so no change committed in between can be missed.
        await self.join(self.group)
        await self.accept()
        state = await database_sync_to_async(live_selectors.image_live_state)(image_id=self.image_id)
        if state is None:  # deleted since the check
            return await self.revoke()
        self.project_id = state["image"]["project"]
        await self.join(project_access_group(self.project_id))
        viewers = await database_sync_to_async(presence_service.presence_join)(**self._presence_args())
        self.present = True
        await self.send_json({"type": "state", **state, "viewers": viewers})
        self.start(self._beat())
        self.start(self.watch_access())

    def _presence_args(self) -> dict:
        return {
            "project_id": self.project_id,
            "image_id": self.image_id,
            "user": self.user,
            "channel_name": self.channel_name,
        }

    async def _beat(self):
        while True:
            await asyncio.sleep(presence_service.presence_heartbeat())
            try:
                await database_sync_to_async(presence_service.presence_touch)(**self._presence_args())
            except Exception:  # a missed heartbeat only shortens the presence; keep the socket
                logger.exception("Presence heartbeat failed")

    async def on_release(self):
        if self.present:
            self.present = False
            await database_sync_to_async(presence_service.presence_leave)(
                project_id=self.project_id, image_id=self.image_id, channel_name=self.channel_name
            )

    async def receive_json(self, content, **kwargs):
        kind = content["type"]
        if kind == "presence.ping":
            viewers = await database_sync_to_async(presence_service.presence_touch)(**self._presence_args())
            return await self.send_json({"type": "presence", "image": self.image_id, "viewers": viewers})
        if kind == "box.dragging":
            drag = drag_parse(content)
            if drag is None:
                return await self.send_error("box.dragging needs box (id or null) and finite x_min…y_max.")
            if self.drags.allow():
                await self.channel_layer.group_send(
                    self.group,
                    {
                        "type": "box.dragging",
                        "image": self.image_id,
                        **drag,
                        "user": user_brief(self.user),
                        "sender": self.channel_name,
                    },
                )
            return None
        return await self.send_error(f"Unknown message type {kind[:64]!r}; send presence.ping or box.dragging.")


class ProjectConsumer(_LiveConsumer):
    """`/ws/projects/<project_id>/`: progress counts, status changes and who views which frame."""

    def access_target(self) -> dict:
        return {"project_id": self.project_id}

    async def connect(self):
        await self.start_guarded()
        project_id = self.scope["url_route"]["kwargs"]["project_id"]
        if self.user is None or not await database_sync_to_async(can_view_project)(self.user, project_id):
            return await self.refuse()
        self.access_checked_at = time.monotonic()
        self.project_id = int(project_id)
        self.group = project_group(self.project_id)
        await self.join(self.group)
        await self.join(project_access_group(self.project_id))
        await self.accept()
        self.start(self.watch_access())
        progress = await database_sync_to_async(live_selectors.project_progress)(project_id=self.project_id)
        viewers = await database_sync_to_async(presence_service.viewers_for_project)(self.project_id)
        await self.send_json({"type": "state", "progress": progress, "viewers": viewers})

    async def receive_json(self, content, **kwargs):
        if content["type"] == "presence.ping":
            return None  # a keep-alive; a project page is not a viewer of any frame
        return await self.send_error(f"Unknown message type {content['type'][:64]!r}; send presence.ping.")
