"""Two real Daphne processes on Redis: access taken away through one closes sockets held on the other with 4403."""

import asyncio
import os
import time

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from rest_framework.authtoken.models import Token

from annotations.models import Role
from tests.factories import MembershipFactory, UserFactory
from tests.live.daphne import daphne_processes, free_ports, server_env
from tests.live.helpers import clean_presence, session_cookie  # noqa: F401
from tests.live.revocation import log_out, open_socket, request, until_closed

pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clean_presence"),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis server at REDIS_URL"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the processes share the test database"),
]

FORBIDDEN = 4403


@pytest.fixture
def servers(transactional_db, tmp_path, media_root):
    ports = free_ports(2)
    env = server_env(media_root=media_root, var_dir=tmp_path / "var")
    with daphne_processes(ports, env, tmp_path):
        yield ports


def world(project, image, manager):
    """Three members who will each lose access in their own way, their sessions, the manager's token."""
    users = {}
    for name, role in (("removed", Role.ANNOTATOR), ("demoted", Role.REVIEWER), ("leaver", Role.ANNOTATOR)):
        users[name] = UserFactory(username=name)
        MembershipFactory(project=project, user=users[name], role=role)
    sessions = {name: session_cookie(user) for name, user in users.items()}
    return users, sessions, Token.objects.create(user=manager).key


async def revoked(ws, act) -> tuple[list[str], float]:
    """Run `act` (a blocking HTTP call), then read until the server closes; (message types, seconds to close)."""
    start = time.monotonic()
    await asyncio.to_thread(act)
    kinds, closed_at = await asyncio.wait_for(until_closed(ws), timeout=20)
    assert ws.close_code == FORBIDDEN
    return kinds, closed_at - start


def box_body(label):
    return {"label": label.pk, "x_min": 1, "y_min": 1, "x_max": 20, "y_max": 20}


@pytest.mark.asyncio
async def test_removal_role_to_none_logout_and_project_delete_close_sockets_on_the_other_process(
    servers, project, image, label, manager
):
    port_a, port_b = servers
    users, sessions, token = await database_sync_to_async(world)(project, image, manager)
    frame, members = f"/ws/images/{image.pk}/", f"/api/projects/{project.pk}/members/"

    def box_after(act):
        """`act`, then a box created at once: it must not reach the socket that just lost access."""

        def run():
            assert act() in (200, 204, 302)
            status, _, _ = request(port_b, "POST", f"/api/images/{image.pk}/boxes/", token=token, body=box_body(label))
            assert status == 201

        return run

    # A member removed through process B, watching a frame and the project page on process A.
    sockets = [await open_socket(port_a, path, sessions["removed"]) for path in (frame, f"/ws/projects/{project.pk}/")]
    remove = box_after(lambda: request(port_b, "DELETE", f"{members}{users['removed'].pk}/", token=token)[0])
    kinds, _ = await revoked(sockets[0], remove)
    assert "box.created" not in kinds
    kinds, _ = await asyncio.wait_for(until_closed(sockets[1]), timeout=20)
    assert sockets[1].close_code == FORBIDDEN

    # "Role changed to none": the reviewer's membership deleted by a third process (this test's, like the admin's).
    ws = await open_socket(port_a, frame, sessions["demoted"])
    membership = project.memberships.filter(user=users["demoted"])
    kinds, _ = await revoked(ws, box_after(lambda: (orm_call(membership.delete), 204)[1]))
    assert "box.created" not in kinds

    # A logout on process B closes the socket its session opened on process A.
    ws = await open_socket(port_a, frame, sessions["leaver"])
    kinds, _ = await revoked(ws, box_after(lambda: log_out(port_b, sessions["leaver"])))
    assert "box.created" not in kinds

    # A project deleted through process B closes the manager's own socket on process A.
    manager_session = await database_sync_to_async(session_cookie)(manager)
    ws = await open_socket(port_a, frame, manager_session)
    kinds, _ = await revoked(ws, lambda: request(port_b, "DELETE", f"/api/projects/{project.pk}/", token=token))
    assert "box.created" not in kinds


def orm_call(function):
    """Run an ORM call from `asyncio.to_thread`'s worker thread, closing its connection after."""
    try:
        return function()
    finally:
        connection.close()
