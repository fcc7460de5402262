"""Live access follows permissions: a socket that loses access is closed with 4403 and hears nothing more."""

import pytest
import pytest_asyncio
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.db import connection, connections
from django.test import Client

from annotations.consumer_access import FORBIDDEN
from annotations.models import Membership, Role
from annotations.services.boxes import box_create
from tests.live.helpers import clean_presence, communicator, next_message, session_cookie  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio, pytest.mark.usefixtures("clean_presence")]


async def open_socket(path: str, user, cookie: str | None = None):
    cookie = cookie or await database_sync_to_async(session_cookie)(user)
    comm = communicator(path, cookie)
    connected, _ = await comm.connect(timeout=5)
    assert connected
    assert (await comm.receive_json_from(timeout=5))["type"] == "state"
    return comm


async def close_code(comm, timeout: float = 5) -> int:
    """Read past whatever was relayed before the close; the close's code."""
    while True:
        output = await comm.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output["code"]


async def hears_no_box(comm, image, label, user) -> bool:
    await database_sync_to_async(box_create)(image=image, user=user, label=label, x_min=1, y_min=1, x_max=9, y_max=9)
    return await comm.receive_nothing(timeout=0.5)


@pytest_asyncio.fixture(autouse=True)
async def close_consumer_connections():
    """Close the connection the consumers' last re-check left open in the executor thread (channels'
    communicator turns `close_old_connections` off), so the test database can be dropped."""
    yield
    await database_sync_to_async(connections.close_all)()


def sockets(image):
    return f"/ws/images/{image.pk}/", f"/ws/projects/{image.project_id}/"


async def test_a_removed_member_is_closed_and_dropped_from_presence(image, label, annotator, manager, client_for):
    frame_socket, project_socket = [await open_socket(path, annotator) for path in sockets(image)]
    boss = await open_socket(f"/ws/images/{image.pk}/", manager)

    path = f"/api/projects/{image.project_id}/members/{annotator.pk}/"
    response = await sync_to_async(client_for(manager).delete)(path)
    assert response.status_code == 204

    assert await close_code(frame_socket) == FORBIDDEN
    assert await close_code(project_socket) == FORBIDDEN
    presence = await next_message(boss, skip=())
    while [v["username"] for v in presence["viewers"]] != ["max"]:
        presence = await next_message(boss, skip=())
    assert presence["type"] == "presence"
    assert await hears_no_box(frame_socket, image, label, manager)
    assert await project_socket.receive_nothing(timeout=0.2)
    assert (await next_message(boss, skip=("presence", "image.status")))["type"] == "box.created"  # still live
    await boss.disconnect()


async def test_a_role_change_keeps_a_member_who_may_still_see_the_frame(image, annotator, manager, client_for):
    comm = await open_socket(f"/ws/images/{image.pk}/", annotator)
    path = f"/api/projects/{image.project_id}/members/{annotator.pk}/"
    response = await sync_to_async(client_for(manager).patch)(path, {"role": "reviewer"}, format="json")
    assert response.status_code == 200
    await comm.send_json_to({"type": "presence.ping"})
    assert (await next_message(comm, skip=()))["type"] == "presence"
    await comm.disconnect()


async def test_a_deleted_project_closes_every_socket_in_it_staff_included(image, annotator, manager, staff, client_for):
    members = [await open_socket(path, annotator) for path in sockets(image)]
    staff_socket = await open_socket(f"/ws/images/{image.pk}/", staff)

    assert (await sync_to_async(client_for(manager).delete)(f"/api/projects/{image.project_id}/")).status_code == 204

    for comm in [*members, staff_socket]:
        assert await close_code(comm) == FORBIDDEN


async def test_logging_out_closes_that_sessions_sockets_and_no_other(image, label, annotator, manager):
    cookie = await database_sync_to_async(session_cookie)(annotator)
    other_session = await open_socket(f"/ws/images/{image.pk}/", annotator)
    frame_socket, project_socket = [await open_socket(path, annotator, cookie) for path in sockets(image)]

    def log_out():
        browser = Client()
        browser.cookies["sessionid"] = cookie
        assert browser.post("/accounts/logout/").status_code in (200, 302)

    await database_sync_to_async(log_out)()

    assert await close_code(frame_socket) == FORBIDDEN
    assert await close_code(project_socket) == FORBIDDEN
    assert await hears_no_box(frame_socket, image, label, manager)
    assert (await next_message(other_session, skip=("presence", "image.status")))["type"] == "box.created"
    await other_session.disconnect()


async def test_a_deactivated_account_is_closed(image, annotator):
    comm = await open_socket(f"/ws/images/{image.pk}/", annotator)
    annotator.is_active = False
    await database_sync_to_async(annotator.save)()
    assert await close_code(comm) == FORBIDDEN


def _remove_unannounced(project_id: int, user_id: int) -> None:
    """A membership gone without `access.changed` (raw SQL: no signal), as if the message were lost."""
    with connection.cursor() as cursor:
        table = Membership._meta.db_table
        cursor.execute(f"DELETE FROM {table} WHERE project_id = %s AND user_id = %s", [project_id, user_id])


async def test_an_inbound_message_is_re_authorised(image, annotator, reviewer, monkeypatch):
    monkeypatch.setattr("annotations.consumer_access.INBOUND_RECHECK_SECONDS", 0)
    anna = await open_socket(f"/ws/images/{image.pk}/", annotator)
    rita = await open_socket(f"/ws/images/{image.pk}/", reviewer)
    await database_sync_to_async(_remove_unannounced)(image.project_id, annotator.pk)

    await anna.send_json_to({"type": "box.dragging", "box": None, "x_min": 1, "y_min": 1, "x_max": 2, "y_max": 2})

    assert await close_code(anna) == FORBIDDEN
    assert all(m["type"] == "presence" for m in await _drain(rita))  # the drag was not relayed
    await rita.disconnect()


async def test_a_listening_socket_is_re_checked_on_a_timer(image, annotator, settings):
    settings.LIVE_ACCESS_RECHECK_SECONDS = 0.2
    comm = await open_socket(f"/ws/projects/{image.project_id}/", annotator)
    await database_sync_to_async(_remove_unannounced)(image.project_id, annotator.pk)
    assert await close_code(comm) == FORBIDDEN


async def test_a_membership_removed_in_the_admin_closes_the_socket_too(image, annotator):
    """The admin bypasses the services; the model signal still revokes."""
    comm = await open_socket(f"/ws/images/{image.pk}/", annotator)
    await database_sync_to_async(Membership.objects.filter(user=annotator, role=Role.ANNOTATOR).delete)()
    assert await close_code(comm) == FORBIDDEN


async def _drain(comm, wait: float = 0.5) -> list[dict]:
    messages = []
    while not await comm.receive_nothing(timeout=wait):
        messages.append(await comm.receive_json_from())
    return messages

