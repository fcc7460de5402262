"""The reads behind the live channels: a frame's state and a project's progress, in bounded queries."""

import pytest

from annotations.models import ImageStatus
from annotations.selectors.live import image_live_state, project_progress
from tests.factories import BoxFactory, ImageFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_frames_state_has_its_live_boxes_and_review_state_in_two_queries(image, label, django_assert_num_queries):
    authors = [UserFactory() for _ in range(3)]
    boxes = [BoxFactory(image=image, label=label, created_by=u, updated_by=u) for u in authors]
    BoxFactory(image=image, label=label, deleted=True)
    image.status, image.review_comment, image.reviewed_by = ImageStatus.REJECTED, "Tighter boxes.", authors[0]
    image.save()

    with django_assert_num_queries(2):
        state = image_live_state(image_id=image.pk)

    assert [b["id"] for b in state["boxes"]] == [b.pk for b in boxes]
    assert {b["created_by_username"] for b in state["boxes"]} == {u.username for u in authors}
    assert state["image"]["status"] == "rejected"
    assert state["image"]["review_comment"] == "Tighter boxes."
    assert state["image"]["reviewed_by"] == {"id": authors[0].pk, "username": authors[0].username}


def test_a_missing_frame_has_no_state(db):
    assert image_live_state(image_id=987654321) is None


def test_progress_counts_every_status_in_one_query(project, django_assert_num_queries):
    for status in ["new", "new", "submitted", "approved"]:
        ImageFactory(project=project, status=status)
    ImageFactory()  # another project's frame

    with django_assert_num_queries(1):
        progress = project_progress(project_id=project.pk)

    assert progress == {
        "project": project.pk,
        "total": 4,
        "counts": {"new": 2, "in_progress": 0, "submitted": 1, "approved": 1, "rejected": 0},
    }
