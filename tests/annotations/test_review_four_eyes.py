"""Four-eyes review: a reviewer does not approve or reject their own submission, unless the project allows it
or nobody else could review."""

import pytest

from annotations.models import ImageStatus, Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def submit(client, image):
    return client.post(f"/api/images/{image.pk}/submit/")


def review(client, image, decision, comment="Missed one."):
    return client.post(f"/api/images/{image.pk}/review/", {"decision": decision, "comment": comment}, format="json")


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_reviewer_cannot_review_their_own_submission(image, reviewer, manager, client_for, decision):
    rita = client_for(reviewer)
    assert submit(rita, image).status_code == 200
    response = review(rita, image, decision)
    assert response.status_code == 403 and "submitted this frame" in response.json()["detail"]
    image.refresh_from_db()
    assert (image.status, image.reviewed_by) == (ImageStatus.SUBMITTED, None)
    # Someone else can.
    assert review(client_for(manager), image, decision).status_code == 200


def test_a_manager_who_submitted_is_held_to_the_same_rule(image, reviewer, manager, client_for):
    assert submit(client_for(manager), image).status_code == 200
    assert review(client_for(manager), image, "approve").status_code == 403
    assert review(client_for(reviewer), image, "approve").status_code == 200


def test_the_only_reviewer_of_a_project_may_review_their_own_submission(image, annotator, manager, client_for):
    """With annotators only besides them, nobody else could ever review the frame."""
    max_ = client_for(manager)
    assert submit(max_, image).status_code == 200
    assert review(max_, image, "approve").json()["status"] == "approved"


def test_allow_self_review_lets_a_reviewer_review_their_own_submission(image, project, reviewer, manager, client_for):
    project.allow_self_review = True
    project.save(update_fields=["allow_self_review"])
    rita = client_for(reviewer)
    assert submit(rita, image).status_code == 200
    assert review(rita, image, "approve").json()["status"] == "approved"


def test_a_frame_someone_else_submitted_is_reviewed_as_before(image, annotator, reviewer, client_for):
    other = UserFactory(username="rolf")
    MembershipFactory(project=image.project, user=other, role=Role.REVIEWER)
    assert submit(client_for(annotator), image).status_code == 200
    assert review(client_for(reviewer), image, "approve").status_code == 200
