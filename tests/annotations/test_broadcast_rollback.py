"""Nothing reaches a viewer for a write that is rolled back; the committed write after it does."""

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from annotations.models import Box, ImageStatus
from annotations.services.boxes import box_create
from annotations.services.review import image_submit
from tests.live.helpers import clean_presence, connect, drain  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio, pytest.mark.usefixtures("clean_presence")]


class Abort(Exception):
    pass


async def test_rolled_back_box_and_status_writes_are_never_broadcast(image, label, annotator, reviewer):
    rita, _ = await connect(f"/ws/images/{image.pk}/", reviewer)
    dashboard, _ = await connect(f"/ws/projects/{image.project_id}/", reviewer)
    await drain(rita)

    def doomed():
        with transaction.atomic():
            box_create(image=image, user=annotator, label=label, x_min=1, y_min=1, x_max=9, y_max=9)
            image_submit(image=image, user=annotator)
            raise Abort()

    with pytest.raises(Abort):
        await database_sync_to_async(doomed)()
    assert await drain(rita) == []
    assert await drain(dashboard) == []
    assert await database_sync_to_async(Box.objects.count)() == 0

    await database_sync_to_async(image_submit)(image=image, user=annotator)
    assert [m["status"] for m in await drain(rita)] == [ImageStatus.SUBMITTED]
    assert [m["type"] for m in await drain(dashboard)] == ["image.status", "project.progress"]
    await rita.disconnect()
    await dashboard.disconnect()
