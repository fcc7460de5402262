"""Presence: who views which frame, across connections and processes, expiring without a goodbye."""

import time

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from annotations.broadcast import project_group
from annotations.services.presence import (
    presence_join,
    presence_leave,
    presence_touch,
    presence_ttl,
    viewers_for_image,
    viewers_for_project,
)
from tests.factories import ImageFactory
from tests.live.helpers import clean_presence, connect, next_message  # noqa: F401

pytestmark = pytest.mark.usefixtures("clean_presence")


@pytest.fixture
def frames(project):
    return ImageFactory(project=project), ImageFactory(project=project)


def test_viewers_are_listed_per_frame_once_per_user(project, frames, annotator, reviewer, django_assert_num_queries):
    one, two = frames
    presence_join(project_id=project.pk, image_id=one.pk, user=annotator, channel_name="tab-1")
    presence_join(project_id=project.pk, image_id=one.pk, user=annotator, channel_name="tab-2")
    presence_join(project_id=project.pk, image_id=one.pk, user=reviewer, channel_name="tab-3")
    presence_join(project_id=project.pk, image_id=two.pk, user=reviewer, channel_name="tab-4")

    with django_assert_num_queries(0):
        viewers = viewers_for_project(project.pk)
    anna, rita = {"id": annotator.pk, "username": "anna"}, {"id": reviewer.pk, "username": "rita"}
    assert viewers == {one.pk: [anna, rita], two.pk: [rita]}

    presence_leave(project_id=project.pk, image_id=one.pk, channel_name="tab-1")
    assert viewers_for_image(project_id=project.pk, image_id=one.pk) == [anna, rita]  # still in tab-2
    presence_leave(project_id=project.pk, image_id=one.pk, channel_name="tab-2")
    assert viewers_for_image(project_id=project.pk, image_id=one.pk) == [rita]


def test_a_viewer_gone_without_a_goodbye_expires_and_heartbeats_keep_one_alive(project, frames, annotator, reviewer):
    one, _ = frames
    start = time.time()
    presence_join(project_id=project.pk, image_id=one.pk, user=annotator, channel_name="gone", now=start)
    presence_join(project_id=project.pk, image_id=one.pk, user=reviewer, channel_name="alive", now=start)
    halfway = start + presence_ttl() * 0.6
    presence_touch(project_id=project.pk, image_id=one.pk, user=reviewer, channel_name="alive", now=halfway)

    later = start + presence_ttl() + 1
    assert viewers_for_project(project.pk, now=later) == {one.pk: [{"id": reviewer.pk, "username": "rita"}]}
    assert presence_ttl() <= 60


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_heartbeat_that_finds_an_expired_viewer_broadcasts_the_shorter_list(
    project, image, annotator, reviewer
):
    layer = get_channel_layer()
    listener = await layer.new_channel()
    await layer.group_add(project_group(project.pk), listener)
    start = time.time()
    await database_sync_to_async(presence_join)(
        project_id=project.pk, image_id=image.pk, user=annotator, channel_name="gone", now=start
    )
    await database_sync_to_async(presence_join)(
        project_id=project.pk, image_id=image.pk, user=reviewer, channel_name="alive", now=start
    )
    assert len((await layer.receive(listener))["viewers"]) == 1
    assert len((await layer.receive(listener))["viewers"]) == 2

    await database_sync_to_async(presence_touch)(
        project_id=project.pk, image_id=image.pk, user=reviewer, channel_name="alive", now=start + presence_ttl() + 1
    )
    message = await layer.receive(listener)
    assert message == {"type": "presence", "image": image.pk, "viewers": [{"id": reviewer.pk, "username": "rita"}]}
    await layer.group_discard(project_group(project.pk), listener)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_joining_and_leaving_a_frame_is_announced_to_the_frame_and_the_project(image, annotator, reviewer):
    project_socket, state = await connect(f"/ws/projects/{image.project_id}/", reviewer)
    assert state["viewers"] == {}
    assert state["progress"]["counts"]["new"] == 1
    rita, _ = await connect(f"/ws/images/{image.pk}/", reviewer)
    for comm in (rita, project_socket):  # rita's own socket hears her join too
        assert (await comm.receive_json_from(timeout=5))["viewers"] == [{"id": reviewer.pk, "username": "rita"}]

    anna, state = await connect(f"/ws/images/{image.pk}/", annotator)
    both = [{"id": annotator.pk, "username": "anna"}, {"id": reviewer.pk, "username": "rita"}]
    assert state["viewers"] == both
    for comm in (rita, project_socket):
        assert await next_message(comm, skip=()) == {"type": "presence", "image": image.pk, "viewers": both}

    await anna.disconnect()
    only_rita = {"type": "presence", "image": image.pk, "viewers": [{"id": reviewer.pk, "username": "rita"}]}
    for comm in (rita, project_socket):
        assert await next_message(comm, skip=()) == only_rita
    await rita.disconnect()
    assert (await project_socket.receive_json_from(timeout=5))["viewers"] == []
    await project_socket.disconnect()
