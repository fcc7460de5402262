"""Keeps an open websocket's access in step with the user's permissions (consumer side).

A socket joins its user's group (`user.<id>`) before its access is checked, and its project's
access group once it knows the project, so a change committed at any moment after the check
reaches it (`annotations.services.live_access` sends `access.changed` there). Three lines:

1. `access.changed` → re-read the access (session, account, membership) and close with 4403
   if it is gone, else tell the page its (maybe new) role: `{type: "access", role}`; a logout
   names its session and closes that session's sockets unread.
2. Every inbound message is re-authorised, reading the access afresh at most once per
   `INBOUND_RECHECK_SECONDS`, so a burst of drags costs one read a second, not twenty.
3. A timer re-reads it every `LIVE_ACCESS_RECHECK_SECONDS` (30), for a socket that only
   listens and whose `access.changed` was lost (a Redis hiccup, a session deleted in bulk).

A revoked socket leaves its groups and its presence before it closes, and relays nothing more.
"""

import asyncio
import logging
import time

from channels.db import database_sync_to_async
from django.conf import settings

from annotations.access import live_access_allowed, live_role

logger = logging.getLogger(__name__)

FORBIDDEN = 4403
INBOUND_RECHECK_SECONDS = 1.0


def access_recheck_seconds() -> float:
    return float(settings.LIVE_ACCESS_RECHECK_SECONDS)


class AccessGuard:
    """Mixin for the live consumers; a subclass says what it guards in `access_target()`."""

    revoked = False
    access_checked_at = float("-inf")

    def access_target(self) -> dict:
        """`{"image_id": …}` or `{"project_id": …}`."""
        raise NotImplementedError

    def guard_init(self) -> None:
        self.joined: list[str] = []
        self.tasks: list[asyncio.Task] = []

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined.append(group)

    def start(self, coroutine) -> None:
        self.tasks.append(asyncio.create_task(coroutine))

    def session_key(self) -> str | None:
        return getattr(self.scope.get("session"), "session_key", None)

    async def access_allowed(self) -> bool:
        target = self.access_target()
        allowed = await database_sync_to_async(live_access_allowed)(session_key=self.session_key(), **target)
        if allowed:
            self.access_checked_at = time.monotonic()
        return allowed

    async def inbound_allowed(self) -> bool:
        if self.revoked:
            return False
        if time.monotonic() - self.access_checked_at < INBOUND_RECHECK_SECONDS:
            return True
        if await self.access_allowed():
            return True
        await self.revoke()
        return False

    async def access_changed(self, event: dict) -> None:
        if self.revoked:
            return
        session = event.get("session")
        if session is not None:
            if session == self.session_key():
                await self.revoke()
            return
        if not await self.access_allowed():
            return await self.revoke()
        # Still allowed, maybe with another role: the page adapts (Approve appears for a new reviewer…).
        role = await database_sync_to_async(live_role)(session_key=self.session_key(), **self.access_target())
        await self.send_json({"type": "access", "role": role})

    async def watch_access(self) -> None:
        while not self.revoked:
            await asyncio.sleep(access_recheck_seconds())
            try:
                allowed = await self.access_allowed()
            except Exception:  # a failed read is not a lost permission; the next round tries again
                logger.exception("Live access re-check failed")
                continue
            if not allowed:
                await self.revoke()

    async def revoke(self) -> None:
        """Leave everything, then close with 4403 (the client stops reconnecting on that code)."""
        if self.revoked:
            return
        self.revoked = True
        await self.release()
        await self.close(code=FORBIDDEN)

    async def release(self) -> None:
        """Stop the timers and leave the groups; idempotent (a revoke is followed by a disconnect)."""
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current:
                task.cancel()
        self.tasks = []
        joined, self.joined = self.joined, []
        for group in joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        await self.on_release()

    async def on_release(self) -> None:
        """Subclasses drop what else they hold (the frame's presence entry)."""
