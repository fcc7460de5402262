"""Two real Daphne processes on the Redis channel layer: viewers on different processes see each other."""

import asyncio
import json
import os
import urllib.request

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.live.daphne import daphne_processes, free_ports, server_env
from tests.live.helpers import clean_presence, live_viewer, next_of, session_cookie  # noqa: F401

pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clean_presence"),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis server at REDIS_URL"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the processes share the test database"),
]


@pytest.fixture
def servers(transactional_db, tmp_path, media_root):
    """Two Daphne processes on the test database and Redis; their ports."""
    ports = free_ports(2)
    env = server_env(media_root=media_root, var_dir=tmp_path / "var")
    with daphne_processes(ports, env, tmp_path):
        yield ports


async def viewer(port: int, image_id: int, cookie: str):
    return await live_viewer(f"ws://127.0.0.1:{port}", image_id, cookie, origin=f"http://127.0.0.1:{port}")


def post_json(url: str, body: dict, token: str) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.status == 201
        return json.loads(response.read())


@pytest.mark.asyncio
async def test_a_box_created_on_process_a_reaches_a_viewer_on_process_b(servers, image, label, annotator, reviewer):
    port_a, port_b = servers
    anna_cookie = await database_sync_to_async(session_cookie)(annotator)
    rita_cookie = await database_sync_to_async(session_cookie)(reviewer)
    token = (await database_sync_to_async(Token.objects.create)(user=annotator)).key

    on_a = await viewer(port_a, image.pk, anna_cookie)
    on_b = await viewer(port_b, image.pk, rita_cookie)
    try:
        assert (await next_of(on_a, "state"))["boxes"] == []
        state_b = await next_of(on_b, "state")
        # Presence is shared too: the viewer on B sees the one on A.
        assert {v["username"] for v in state_b["viewers"]} == {"anna", "rita"}

        body = {"label": label.pk, "x_min": 10, "y_min": 20, "x_max": 110, "y_max": 220}
        url = f"http://127.0.0.1:{port_a}/api/images/{image.pk}/boxes/"
        created = await asyncio.to_thread(post_json, url, body, token)

        on_b_message = await next_of(on_b, "box.created")
        assert on_b_message["box"] == created
        assert on_b_message["user"] == {"id": annotator.pk, "username": "anna"}
        assert (await next_of(on_a, "box.created"))["box"]["id"] == created["id"]
    finally:
        await on_a.close()
        await on_b.close()
