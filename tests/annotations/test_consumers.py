"""Frame and project websockets: who may connect, what a (re)connecting client gets, what is relayed."""

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from annotations.broadcast import broadcast, image_group
from annotations.consumers import DRAG_RATE
from annotations.models import ImageStatus
from annotations.services.boxes import box_create, box_delete, box_update
from tests.factories import BoxFactory
from tests.live.helpers import clean_presence, communicator, connect, drain, next_message, session_cookie  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio, pytest.mark.usefixtures("clean_presence")]


async def refused_with_4403(comm) -> bool:
    """Accepted, then closed with 4403 — and nothing at all sent before the close."""
    connected, _ = await comm.connect(timeout=5)
    assert connected
    first = await comm.receive_output(timeout=5)
    return first == {"type": "websocket.close", "code": 4403}


async def test_two_members_see_each_others_box_events_in_order_with_versions(image, label, annotator, reviewer):
    anna, _ = await connect(f"/ws/images/{image.pk}/", annotator)
    rita, _ = await connect(f"/ws/images/{image.pk}/", reviewer)

    def edits():
        box = box_create(image=image, user=annotator, label=label, x_min=1, y_min=2, x_max=30, y_max=40)
        box = box_update(box=box, user=reviewer, version=1, x_max=50)
        box_delete(box=box, user=annotator, version=2)
        return box.pk

    box_id = await database_sync_to_async(edits)()
    for comm in (anna, rita):
        seen = [await next_message(comm) for _ in range(4)]
        assert [m["type"] for m in seen] == ["image.status", "box.created", "box.updated", "box.deleted"]
        assert seen[0]["status"] == ImageStatus.IN_PROGRESS
        assert [m["box"]["id"] for m in seen[1:]] == [box_id] * 3
        assert [m["box"]["version"] for m in seen[1:]] == [1, 2, 3]
        assert [m["user"]["username"] for m in seen[1:]] == ["anna", "rita", "anna"]
        assert seen[2]["box"]["x_max"] == 50
        assert seen[3]["box"]["deleted"] is True
    await anna.disconnect()
    await rita.disconnect()


async def test_a_box_created_through_the_rest_api_reaches_the_other_viewer(
    image, label, annotator, reviewer, client_for
):
    rita, _ = await connect(f"/ws/images/{image.pk}/", reviewer)
    body = {"label": label.pk, "x_min": 5, "y_min": 5, "x_max": 25, "y_max": 35}
    response = await sync_to_async(client_for(annotator).post)(f"/api/images/{image.pk}/boxes/", body, format="json")
    assert response.status_code == 201
    message = await next_message(rita, skip=("presence", "image.status"))
    assert message["type"] == "box.created"
    assert message["box"] == response.json()
    assert message["user"] == {"id": annotator.pk, "username": "anna"}
    await rita.disconnect()


async def test_state_on_connect_has_the_live_boxes_with_versions_and_the_review_status(image, label, annotator):
    live = await database_sync_to_async(BoxFactory)(image=image, label=label, version=4)
    await database_sync_to_async(BoxFactory)(image=image, label=label, deleted=True)
    image.status, image.review_comment = ImageStatus.REJECTED, "The car on the left is missing."
    await database_sync_to_async(image.save)()

    comm, state = await connect(f"/ws/images/{image.pk}/", annotator)

    assert [(b["id"], b["version"]) for b in state["boxes"]] == [(live.pk, 4)]
    assert state["image"]["status"] == "rejected"
    assert state["image"]["review_comment"] == "The car on the left is missing."
    assert state["viewers"] == [{"id": annotator.pk, "username": "anna"}]
    await comm.disconnect()


async def test_a_reconnecting_client_gets_the_changes_it_missed_in_its_state(image, label, annotator, reviewer):
    comm, _ = await connect(f"/ws/images/{image.pk}/", annotator)
    await comm.disconnect()  # the connection drops
    box = await database_sync_to_async(box_create)(
        image=image, user=reviewer, label=label, x_min=1, y_min=1, x_max=9, y_max=9
    )
    await database_sync_to_async(box_update)(box=box, user=reviewer, version=1, y_max=20)

    comm, state = await connect(f"/ws/images/{image.pk}/", annotator)

    assert [(b["id"], b["version"], b["y_max"]) for b in state["boxes"]] == [(box.pk, 2, 20.0)]
    assert state["image"]["status"] == ImageStatus.IN_PROGRESS
    await comm.disconnect()


@pytest.mark.parametrize("path", ["/ws/images/{image}/", "/ws/projects/{project}/"])
async def test_a_non_member_is_closed_with_4403_before_any_data(path, image, outsider):
    cookie = await database_sync_to_async(session_cookie)(outsider)
    comm = communicator(path.format(image=image.pk, project=image.project_id), cookie)
    assert await refused_with_4403(comm)


@pytest.mark.parametrize("path", ["/ws/images/{image}/", "/ws/projects/{project}/"])
async def test_an_anonymous_user_is_closed_with_4403_before_any_data(path, image):
    comm = communicator(path.format(image=image.pk, project=image.project_id), cookie=None)
    assert await refused_with_4403(comm)


async def test_a_frame_that_does_not_exist_is_closed_with_4403(annotator):
    cookie = await database_sync_to_async(session_cookie)(annotator)
    assert await refused_with_4403(communicator("/ws/images/999999999/", cookie))


@pytest.mark.parametrize("origin", ["http://evil.example", None])
async def test_a_foreign_or_missing_origin_is_refused_at_the_handshake(origin, image, annotator):
    cookie = await database_sync_to_async(session_cookie)(annotator)
    comm = communicator(f"/ws/images/{image.pk}/", cookie, origin=origin)
    connected, _ = await comm.connect(timeout=5)
    assert not connected


async def test_malformed_client_messages_get_an_error_and_the_connection_stays(image, annotator):
    comm, _ = await connect(f"/ws/images/{image.pk}/", annotator)
    for text in ["not json", "[1, 2]", '{"no": "type"}', '{"type": "box.delete", "box": 1}', '{"type": 7}']:
        await comm.send_to(text_data=text)
        assert (await next_message(comm))["type"] == "error"
    await comm.send_to(text_data='{"type": "presence.ping", "pad": "' + "x" * 10_000 + '"}')
    assert (await next_message(comm))["type"] == "error"
    await comm.send_to(bytes_data=b"\x00\x01")
    assert (await next_message(comm))["type"] == "error"
    await comm.send_json_to({"type": "box.dragging", "box": "x", "x_min": 1, "y_min": 1, "x_max": 2, "y_max": 2})
    assert (await next_message(comm))["type"] == "error"

    await comm.send_json_to({"type": "presence.ping"})
    pong = await comm.receive_json_from(timeout=5)
    assert pong == {"type": "presence", "image": image.pk, "viewers": [{"id": annotator.pk, "username": "anna"}]}
    await comm.disconnect()


async def test_dragging_is_relayed_to_others_with_the_senders_name_but_not_echoed(image, annotator, reviewer):
    anna, _ = await connect(f"/ws/images/{image.pk}/", annotator)
    rita, _ = await connect(f"/ws/images/{image.pk}/", reviewer)
    await anna.send_json_to({"type": "box.dragging", "box": 12, "x_min": 1, "y_min": 2, "x_max": 3.5, "y_max": 4})

    message = await next_message(rita)
    assert message == {
        "type": "box.dragging",
        "image": image.pk,
        "box": 12,
        "x_min": 1.0,
        "y_min": 2.0,
        "x_max": 3.5,
        "y_max": 4.0,
        "label": None,
        "user": {"id": annotator.pk, "username": "anna"},
    }
    assert await drain(anna) == []
    await anna.disconnect()
    await rita.disconnect()


async def test_a_burst_of_drags_is_cut_to_the_rate_limit(image, annotator, reviewer):
    anna, _ = await connect(f"/ws/images/{image.pk}/", annotator)
    rita, _ = await connect(f"/ws/images/{image.pk}/", reviewer)
    burst = 5 * DRAG_RATE
    for i in range(burst):
        drag = {"type": "box.dragging", "box": None, "x_min": i, "y_min": 0, "x_max": i + 1, "y_max": 1}
        await anna.send_json_to(drag)

    relayed = await drain(rita)
    assert all(m["type"] == "box.dragging" for m in relayed)
    assert DRAG_RATE <= len(relayed) < burst
    await anna.disconnect()
    await rita.disconnect()


async def test_every_relayed_group_event_reaches_the_client_and_unknown_ones_are_dropped(image, annotator):
    comm, _ = await connect(f"/ws/images/{image.pk}/", annotator)
    group = image_group(image.pk)
    await sync_to_async(broadcast)(group, "inference.internal", {"secret": 1})
    kinds = ["detection.started", "detection.result", "detection.done", "detection.failed", "detection.decided"]
    for kind in [*kinds, "feedback.updated"]:
        await sync_to_async(broadcast)(group, kind, {"image": image.pk})

    received = await drain(comm)
    assert [m["type"] for m in received] == [
        "detection.started",
        "detection.result",
        "detection.done",
        "detection.failed",
        "detection.decided",
        "feedback.updated",
    ]
    await comm.disconnect()
