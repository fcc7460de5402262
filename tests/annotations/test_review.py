"""The review workflow through the REST API: submit, reject with a comment, fix, approve, the lock, the history."""

import pytest

from annotations.models import AnnotationEvent, ImageStatus
from tests.factories import ImageFactory

pytestmark = pytest.mark.django_db


def submit(client, image):
    return client.post(f"/api/images/{image.pk}/submit/")


def review(client, image, decision, comment=""):
    return client.post(f"/api/images/{image.pk}/review/", {"decision": decision, "comment": comment}, format="json")


def test_the_whole_round_trip_is_enforced_and_kept_in_the_history(image, label, annotator, reviewer, client_for):
    anna, rita = client_for(annotator), client_for(reviewer)
    box = anna.post(
        f"/api/images/{image.pk}/boxes/", {"label": label.pk, "x_min": 1, "y_min": 1, "x_max": 50, "y_max": 60}
    ).json()

    response = submit(anna, image)
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"
    assert response.json()["submitted_by"] == {"id": annotator.pk, "username": "anna"}

    response = review(rita, image, "reject", "The box misses the person's feet.")
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["review_comment"] == "The box misses the person's feet."

    # The annotator sees the comment on the frame and in its history, and fixes the box.
    detail = anna.get(f"/api/images/{image.pk}/").json()
    assert (detail["status"], detail["review_comment"]) == ("rejected", "The box misses the person's feet.")
    history = anna.get(f"/api/images/{image.pk}/history/").json()["results"]
    assert history[0]["action"] == "review"
    comment = "The box misses the person's feet."
    assert history[0]["after"] == {"status": "rejected", "decision": "reject", "comment": comment}
    fixed = anna.patch(f"/api/boxes/{box['id']}/", {"version": box["version"], "y_max": 120}, format="json")
    assert fixed.status_code == 200

    assert submit(anna, image).json()["status"] == "submitted"
    response = review(rita, image, "approve")
    assert response.json()["status"] == "approved"
    assert response.json()["reviewed_by"] == {"id": reviewer.pk, "username": "rita"}

    locked = anna.patch(f"/api/boxes/{box['id']}/", {"version": fixed.json()["version"], "y_max": 130}, format="json")
    assert locked.status_code == 409
    assert "approved" in locked.json()["detail"]
    created = anna.post(
        f"/api/images/{image.pk}/boxes/", {"label": label.pk, "x_min": 1, "y_min": 1, "x_max": 5, "y_max": 5}
    )
    assert created.status_code == 409
    body = {"version": fixed.json()["version"], "y_max": 125}
    corrected = rita.patch(f"/api/boxes/{box['id']}/", body, format="json")
    assert corrected.status_code == 200
    image.refresh_from_db()
    assert image.status == ImageStatus.APPROVED  # a reviewer's correction does not reopen the frame

    steps = [
        (e.action, e.user.username, (e.after or {}).get("status"))
        for e in AnnotationEvent.objects.filter(image=image).select_related("user").order_by("id")
    ]
    assert steps == [
        ("create", "anna", None),
        ("submit", "anna", "submitted"),
        ("review", "rita", "rejected"),
        ("update", "anna", None),
        ("submit", "anna", "submitted"),
        ("review", "rita", "approved"),
        ("update", "rita", None),
    ]
    assert all(e.created_at is not None for e in AnnotationEvent.objects.filter(image=image))


def test_an_annotator_cannot_review_and_an_outsider_cannot_see_the_frame(image, annotator, outsider, client_for):
    submit(client_for(annotator), image)
    assert review(client_for(annotator), image, "approve").status_code == 403
    assert review(client_for(outsider), image, "approve").status_code == 404
    assert submit(client_for(outsider), image).status_code == 404
    assert client_for(None).post(f"/api/images/{image.pk}/submit/").status_code == 401
    image.refresh_from_db()
    assert image.status == ImageStatus.SUBMITTED


@pytest.mark.parametrize(
    "body, field",
    [
        ({"decision": "reject", "comment": "   "}, "comment"),
        ({"decision": "reject"}, "comment"),
        ({"decision": "maybe"}, "decision"),
        ({}, "decision"),
        ({"decision": "approve", "comment": "x" * 5001}, "comment"),
    ],
)
def test_bad_review_input_is_a_400_that_names_the_field(body, field, image, annotator, reviewer, client_for):
    submit(client_for(annotator), image)
    response = client_for(reviewer).post(f"/api/images/{image.pk}/review/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    image.refresh_from_db()
    assert image.status == ImageStatus.SUBMITTED


def test_moves_outside_the_workflow_are_409_with_the_reason(image, annotator, reviewer, client_for):
    anna, rita = client_for(annotator), client_for(reviewer)
    assert review(rita, image, "approve").status_code == 409  # nothing submitted yet
    assert review(rita, image, "reject", "why").status_code == 409
    submit(anna, image)
    response = submit(anna, image)
    assert response.status_code == 409
    assert "already submitted" in response.json()["detail"]
    review(rita, image, "approve")
    assert review(rita, image, "approve").status_code == 409
    response = submit(anna, image)
    assert response.status_code == 409
    assert "approved" in response.json()["detail"]


def test_a_reviewer_reopens_an_approved_frame_by_rejecting_it(image, annotator, reviewer, client_for):
    anna, rita = client_for(annotator), client_for(reviewer)
    submit(anna, image)
    review(rita, image, "approve")
    response = review(rita, image, "reject", "Found a missed bicycle.")
    assert response.json()["status"] == "rejected"
    assert submit(anna, image).json()["status"] == "submitted"


def test_the_review_queue_lists_submitted_frames_oldest_first_for_reviewers_only(
    project, annotator, reviewer, client_for, django_assert_max_num_queries
):
    frames = [ImageFactory(project=project, frame_index=i) for i in range(4)]
    anna = client_for(annotator)
    for frame in (frames[2], frames[0], frames[3]):
        submit(anna, frame)
    client_for(reviewer).post(f"/api/images/{frames[3].pk}/review/", {"decision": "approve"}, format="json")

    with django_assert_max_num_queries(6):
        response = client_for(reviewer).get(f"/api/projects/{project.pk}/review-queue/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [frames[2].pk, frames[0].pk]
    assert body["results"][0]["submitted_by"] == {"id": annotator.pk, "username": "anna"}
    assert body["results"][0]["submitted_at"] is not None
    assert body["results"][0]["box_count"] == 0

    page = client_for(reviewer).get(f"/api/projects/{project.pk}/review-queue/?page_size=1").json()
    assert [row["id"] for row in page["results"]] == [frames[2].pk]
    assert page["next"] is not None
    assert anna.get(f"/api/projects/{project.pk}/review-queue/").status_code == 403


def test_the_review_queue_is_404_outside_the_callers_projects(project, outsider, client_for):
    assert client_for(outsider).get(f"/api/projects/{project.pk}/review-queue/").status_code == 404
