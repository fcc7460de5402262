"""Frame feedback: one rating per user per frame, recorded, broadcast on commit, members only."""

import pytest

from annotations.models import AnnotationEvent, EventAction
from annotations.services.history import undoable_actions
from annotations.models import FrameFeedback
from feedback.services import feedback_clear, feedback_set


def url(image):
    return f"/api/images/{image.pk}/feedback/"


def test_put_sets_and_replaces_the_callers_rating(client_for, annotator, reviewer, image):
    client_for(reviewer).put(url(image), {"rating": 1}, format="json")
    client = client_for(annotator)
    response = client.put(url(image), {"rating": -1}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "image": image.pk, "rating": -1, "summary": {"positive": 1, "neutral": 0, "negative": 1, "total": 2},
    }  # fmt: skip
    response = client.put(url(image), {"rating": 0}, format="json")
    assert response.json()["rating"] == 0 and response.json()["summary"]["negative"] == 0
    assert FrameFeedback.objects.get(image=image, user=annotator).rating == 0
    assert FrameFeedback.objects.count() == 2


def test_get_shows_the_callers_rating_or_null(client_for, annotator, reviewer, image):
    client_for(reviewer).put(url(image), {"rating": 1}, format="json")
    body = client_for(annotator).get(url(image)).json()
    assert body["rating"] is None and body["summary"]["total"] == 1


def test_delete_clears_only_the_callers_rating(client_for, annotator, reviewer, image):
    client_for(annotator).put(url(image), {"rating": 1}, format="json")
    client_for(reviewer).put(url(image), {"rating": 1}, format="json")
    response = client_for(annotator).delete(url(image))
    assert response.status_code == 200
    assert response.json()["rating"] is None and response.json()["summary"]["positive"] == 1
    assert list(FrameFeedback.objects.values_list("user", flat=True)) == [reviewer.pk]
    assert client_for(annotator).delete(url(image)).status_code == 200  # clearing twice is harmless


def test_each_change_is_an_event_and_a_broadcast_after_commit(
    annotator, image, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        feedback_set(image=image, user=annotator, rating=1)
        feedback_set(image=image, user=annotator, rating=1)  # unchanged: no event, no message
        feedback_set(image=image, user=annotator, rating=-1)
        feedback_clear(image=image, user=annotator)
    events = AnnotationEvent.objects.filter(action=EventAction.FEEDBACK).order_by("id")
    assert [(e.before["rating"], e.after["rating"]) for e in events] == [(None, 1), (1, -1), (-1, None)]
    assert [(group, kind) for group, kind, _ in sent] == [(f"image.{image.pk}", "feedback.updated")] * 3
    assert [payload["rating"] for _, _, payload in sent] == [1, -1, None]
    assert sent[0][2]["user"] == {"id": annotator.pk, "username": annotator.username}
    assert sent[0][2]["image"] == image.pk
    # The frame's tally, read when the message leaves (here all after the final clear), so every
    # viewer's "Ratings of this frame" shows what is committed.
    assert [payload["summary"]["total"] for _, _, payload in sent] == [0, 0, 0]


def test_ratings_are_not_undoable(client_for, annotator, image):
    assert EventAction.FEEDBACK not in undoable_actions()
    client = client_for(annotator)
    client.put(url(image), {"rating": 1}, format="json")
    assert client.post(f"/api/images/{image.pk}/undo/").status_code == 400
    assert FrameFeedback.objects.get().rating == 1


@pytest.mark.parametrize("body", [{}, {"rating": 2}, {"rating": "good"}, {"rating": None}, {"rating": True},
                                  {"rating": 1.5}, {"rating": [1]}, {"rating": 10**400}])  # fmt: skip
def test_bad_ratings_are_400(client_for, annotator, image, body):
    response = client_for(annotator).put(url(image), body, format="json")
    assert response.status_code == 400 and "rating" in response.json()
    assert not FrameFeedback.objects.exists() and not AnnotationEvent.objects.exists()


def test_a_non_json_body_is_400(client_for, annotator, image):
    response = client_for(annotator).put(url(image), b"[1", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_outsiders_get_404_and_anonymous_401(client_for, outsider, annotator, image, method):
    feedback_set(image=image, user=annotator, rating=1)
    for user, expected in ((outsider, 404), (None, 401)):
        response = getattr(client_for(user), method)(url(image), {"rating": -1}, format="json")
        assert response.status_code == expected
    assert FrameFeedback.objects.get().rating == 1
    assert client_for(outsider).get("/api/images/999999/feedback/").status_code == 404


@pytest.mark.parametrize("role", ["annotator", "reviewer", "manager", "staff"])
def test_every_member_role_may_rate(request, client_for, image, role):
    response = client_for(request.getfixturevalue(role)).put(url(image), {"rating": "-1"}, format="json")
    assert response.status_code == 200 and response.json()["rating"] == -1


def test_feedback_reads_take_a_bounded_number_of_queries(client_for, annotator, image, django_assert_max_num_queries):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.bulk_create(get_user_model()(username=f"rater{i}") for i in range(30))
    FrameFeedback.objects.bulk_create(
        FrameFeedback(image=image, user=user, rating=(i % 3) - 1) for i, user in enumerate(users)
    )
    with django_assert_max_num_queries(5):
        body = client_for(annotator).get(url(image)).json()
    assert body["summary"] == {"positive": 10, "neutral": 10, "negative": 10, "total": 30}
