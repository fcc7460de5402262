"""Helpers for websocket tests: session cookies, communicators, reading past presence chatter."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.test import Client
from websockets.asyncio.client import connect as ws_connect

from annotations.services.presence import presence_clear

ORIGIN = "http://testserver"


@pytest.fixture
def clean_presence():
    """Start and end every live test with nobody viewing and a fresh channel layer.

    Presence lives in Redis (or process memory) across tests; and a Redis channel layer holds
    asyncio locks bound to the event loop that made them, while each async test has its own loop.
    """
    presence_clear()
    channel_layers.backends.clear()
    yield
    presence_clear()
    channel_layers.backends.clear()


def session_cookie(user) -> str:
    """A real logged-in session for `user` (sync: call it from a sync fixture or database_sync_to_async)."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def communicator(path: str, cookie: str | None = None, origin: str | None = ORIGIN) -> WebsocketCommunicator:
    from hitl_project.asgi import application

    headers = []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie is not None:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def connect(path: str, user) -> tuple[WebsocketCommunicator, dict]:
    """Connect as `user`; return the communicator and the first message, which must be `state`."""
    cookie = await database_sync_to_async(session_cookie)(user)
    comm = communicator(path, cookie)
    connected, _ = await comm.connect(timeout=5)
    assert connected
    state = await comm.receive_json_from(timeout=5)
    assert state["type"] == "state"
    return comm, state


async def next_message(comm: WebsocketCommunicator, *, skip=("presence",), timeout: float = 5) -> dict:
    """The next message whose type is not in `skip` (viewers joining and leaving interleave freely)."""
    while True:
        message = await comm.receive_json_from(timeout=timeout)
        if message["type"] not in skip:
            return message


async def drain(comm: WebsocketCommunicator, *, skip=("presence",), wait: float = 0.3) -> list[dict]:
    """Every message that arrives until none comes for `wait` seconds, minus skipped types.

    (A receive that times out cancels the application, so this polls with receive_nothing.)"""
    messages = []
    while not await comm.receive_nothing(timeout=wait):
        messages.append(await comm.receive_json_from())
    return [m for m in messages if m["type"] not in skip]


async def live_viewer(base: str, image_id: int, cookie: str, origin: str, ssl=None):
    """A `websockets` client on a real server's `/ws/images/<id>/` (`base`: ws://… or wss://…), by session cookie."""
    return await ws_connect(
        f"{base}/ws/images/{image_id}/",
        origin=origin,
        additional_headers=[("Cookie", f"sessionid={cookie}")],
        ssl=ssl,
        proxy=None,
        open_timeout=20,
    )


async def next_of(ws, kind: str, timeout: float = 20) -> dict:
    """The next message of type `kind` on a `websockets` client, skipping the others."""
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == kind:
                return message
