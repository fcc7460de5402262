"""The review workflow as the other viewers see it: status events on the frame, progress on the project."""

import pytest
from channels.db import database_sync_to_async

from annotations.services.review import image_review, image_submit
from tests.live.helpers import clean_presence, connect, next_message  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio, pytest.mark.usefixtures("clean_presence")]


async def test_a_rejection_reaches_the_annotator_with_the_comment_and_the_project_with_counts(
    image, annotator, reviewer
):
    frame, _ = await connect(f"/ws/images/{image.pk}/", annotator)
    dashboard, _ = await connect(f"/ws/projects/{image.project_id}/", reviewer)

    await database_sync_to_async(image_submit)(image=image, user=annotator)
    await database_sync_to_async(image_review)(image=image, user=reviewer, decision="reject", comment="Add the dog.")

    submitted, rejected = await next_message(frame), await next_message(frame)
    assert (submitted["type"], submitted["status"]) == ("image.status", "submitted")
    assert submitted["user"]["username"] == "anna"
    assert rejected["type"] == "image.status"
    assert rejected["status"] == "rejected"
    assert rejected["decision"] == "reject"
    assert rejected["review_comment"] == "Add the dog."
    assert rejected["user"] == {"id": reviewer.pk, "username": "rita"}

    seen = [await next_message(dashboard) for _ in range(4)]
    assert [m["type"] for m in seen] == ["image.status", "project.progress", "image.status", "project.progress"]
    assert seen[1]["counts"]["submitted"] == 1
    assert seen[3]["counts"] == {"new": 0, "in_progress": 0, "submitted": 0, "approved": 0, "rejected": 1}
    assert seen[3]["total"] == 1
    await frame.disconnect()
    await dashboard.disconnect()
