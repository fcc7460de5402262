"""Server-side undo/redo: per user per frame, survives reloads, respects the locking rule."""

import pytest

from annotations.models import AnnotationEvent, Box, EventAction
from annotations.services import events
from annotations.services.boxes import box_create, box_restore
from inference.models import DetectionJob, Prediction, PredictionStatus
from tests.factories import BoxFactory


@pytest.fixture
def client(client_for, annotator):
    return client_for(annotator)


def create(client, image, label, **coords):
    body = {"label": label.pk, "x_min": 10, "y_min": 10, "x_max": 50, "y_max": 50, **coords}
    response = client.post(f"/api/images/{image.pk}/boxes/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def patch(client, box_id, **changes):
    response = client.patch(f"/api/boxes/{box_id}/", changes, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def undo(client, image, expected=200):
    response = client.post(f"/api/images/{image.pk}/undo/")
    assert response.status_code == expected, response.content
    return response.json()


def redo(client, image, expected=200):
    response = client.post(f"/api/images/{image.pk}/redo/")
    assert response.status_code == expected, response.content
    return response.json()


def live_coords(box_id):
    box = Box.objects.get(pk=box_id)
    return None if box.deleted else (box.x_min, box.y_min, box.x_max, box.y_max)


def test_undo_and_redo_of_a_create(client, image, label, sent, django_capture_on_commit_callbacks):
    box = create(client, image, label)
    with django_capture_on_commit_callbacks(execute=True):
        step = undo(client, image)
    assert step["action"] == "undo" and step["box"]["deleted"] is True and step["box"]["version"] == 2
    assert step["target"]["action"] == "create" and step["event"]["reverts"] == step["target"]["id"]
    assert (step["can_undo"], step["can_redo"]) == (False, True)
    assert live_coords(box["id"]) is None
    with django_capture_on_commit_callbacks(execute=True):
        step = redo(client, image)
    assert step["box"]["deleted"] is False and step["box"]["version"] == 3
    assert live_coords(box["id"]) == (10, 10, 50, 50)
    steps = [(kind, payload["action"]) for _, kind, payload in sent]
    assert steps == [("box.deleted", "undo"), ("box.created", "redo")]
    assert sent[1][2]["box"]["id"] == box["id"]


def test_undo_and_redo_of_updates_and_a_delete_in_order(client, image, label):
    box = create(client, image, label)
    patch(client, box["id"], version=1, x_max=60)
    patch(client, box["id"], version=2, y_max=70, label=label.pk)
    deleted = client.delete(f"/api/boxes/{box['id']}/?version=3")
    assert deleted.status_code == 200
    expected_after_undo = [(10, 10, 60, 70), (10, 10, 60, 50), (10, 10, 50, 50), None]
    for state in expected_after_undo:
        undo(client, image)
        assert live_coords(box["id"]) == state
    assert undo(client, image, expected=400) == {"detail": "Nothing to undo."}
    for state in [(10, 10, 50, 50), (10, 10, 60, 50), (10, 10, 60, 70), None]:
        redo(client, image)
        assert live_coords(box["id"]) == state
    assert redo(client, image, expected=400) == {"detail": "Nothing to redo."}
    assert Box.objects.get(pk=box["id"]).version == 4 + 8


def test_undo_restores_the_label(client, image, label):
    from tests.factories import LabelFactory

    car = LabelFactory(project=image.project, name="car")
    box = create(client, image, label)
    patch(client, box["id"], version=1, label=car.pk)
    assert undo(client, image)["box"]["label"] == label.pk
    assert redo(client, image)["box"]["label"] == car.pk


def test_history_survives_a_reload(client_for, annotator, image, label):
    box = create(client_for(annotator), image, label)
    patch(client_for(annotator), box["id"], version=1, x_min=20)
    undo(client_for(annotator), image)  # a fresh client: nothing kept in the browser or the session
    assert live_coords(box["id"]) == (10, 10, 50, 50)
    redo(client_for(annotator), image)
    assert live_coords(box["id"]) == (20, 10, 50, 50)
    undo(client_for(annotator), image)
    undo(client_for(annotator), image)
    assert live_coords(box["id"]) is None


def test_a_new_action_clears_the_redo_stack(client, image, label):
    first = create(client, image, label)
    undo(client, image)
    second = create(client, image, label, x_min=30)
    redo(client, image, expected=400)
    step = undo(client, image)
    assert step["target"]["box"] == second["id"]
    assert redo(client, image)["target"]["box"] == second["id"]
    redo(client, image, expected=400)
    assert live_coords(first["id"]) is None and live_coords(second["id"]) == (30, 10, 50, 50)


def test_each_user_undoes_only_their_own_changes(client_for, annotator, reviewer, image, label):
    mine = create(client_for(annotator), image, label)
    theirs = create(client_for(reviewer), image, label, x_min=20)
    step = undo(client_for(annotator), image)
    assert step["target"]["box"] == mine["id"]
    assert live_coords(mine["id"]) is None and live_coords(theirs["id"]) == (20, 10, 50, 50)
    undo(client_for(annotator), image, expected=400)
    assert undo(client_for(reviewer), image)["target"]["box"] == theirs["id"]


def test_undo_is_blocked_by_another_users_later_change(client_for, annotator, reviewer, image, label):
    box = create(client_for(annotator), image, label)
    patch(client_for(annotator), box["id"], version=1, x_max=60)
    patch(client_for(reviewer), box["id"], version=2, y_max=80)
    response = client_for(annotator).post(f"/api/images/{image.pk}/undo/")
    assert response.status_code == 409
    current = response.json()["current"]
    assert current["version"] == 3 and current["y_max"] == 80 and current["updated_by"] == reviewer.pk
    assert live_coords(box["id"]) == (10, 10, 60, 80)
    assert not AnnotationEvent.objects.filter(action=EventAction.UNDO).exists()
    assert not AnnotationEvent.objects.filter(undone=True).exists()


def test_redo_is_blocked_by_another_users_change_after_the_undo(client_for, annotator, reviewer, image, label):
    box = create(client_for(annotator), image, label)
    patch(client_for(annotator), box["id"], version=1, x_max=60)
    undo(client_for(annotator), image)
    patch(client_for(reviewer), box["id"], version=3, x_min=5)
    response = client_for(annotator).post(f"/api/images/{image.pk}/redo/")
    assert response.status_code == 409 and response.json()["current"]["x_min"] == 5
    assert live_coords(box["id"]) == (5, 10, 50, 50)


def test_history_lists_events_newest_first_with_availability(client_for, annotator, reviewer, image, label):
    client = client_for(annotator)
    box = create(client, image, label)
    patch(client, box["id"], version=1, x_max=60)
    create(client_for(reviewer), image, label)
    undo(client, image)
    body = client.get(f"/api/images/{image.pk}/history/").json()
    assert [e["action"] for e in body["results"]] == ["undo", "create", "update", "create"]
    assert body["results"][0]["reverts"] == body["results"][2]["id"] and body["results"][2]["undone"] is True
    assert body["results"][1]["username"] == reviewer.username
    assert (body["can_undo"], body["can_redo"]) == (True, True)
    mine = client.get(f"/api/images/{image.pk}/history/?mine=1").json()
    assert mine["count"] == 3


def test_history_takes_a_bounded_number_of_queries(client_for, annotator, image, label, django_assert_max_num_queries):
    box = BoxFactory(image=image, label=label)
    AnnotationEvent.objects.bulk_create(
        AnnotationEvent(image=image, box=box, user=annotator, action="update", before={}, after={"version": 1})
        for _ in range(500)
    )
    client = client_for(annotator)
    with django_assert_max_num_queries(9):
        body = client.get(f"/api/images/{image.pk}/history/?page_size=500").json()
    assert len(body["results"]) == 500


def test_other_apps_register_undoable_actions(monkeypatch, client_for, annotator, reviewer, image, label):
    """The extension point, used as the inference app uses it for accepting an AI box."""
    calls = []

    def accept_undo(*, event, box, user):
        calls.append("undo")
        Prediction.objects.filter(pk=event.after["prediction"]).update(status=PredictionStatus.PENDING)
        return box_restore(box=box, user=user, snapshot=None)

    def accept_redo(*, event, box, user):
        calls.append("redo")
        Prediction.objects.filter(pk=event.after["prediction"]).update(status=PredictionStatus.ACCEPTED)
        return box_restore(box=box, user=user, snapshot=event.after)

    monkeypatch.setitem(events._REGISTRY, EventAction.ACCEPT, events.UndoableAction(accept_undo, accept_redo))
    job = DetectionJob.objects.create(image=image, prompts=["person"], status="done")
    prediction = Prediction.objects.create(
        job=job, image=image, label=label, prompt="person", x_min=1, y_min=1, x_max=9, y_max=9, score=0.9,
        status=PredictionStatus.ACCEPTED,
    )  # fmt: skip
    box = box_create(image=image, user=annotator, label=label, x_min=1, y_min=1, x_max=9, y_max=9, source="ai",
                     prediction=prediction, action=EventAction.ACCEPT)  # fmt: skip
    client = client_for(annotator)
    step = undo(client, image)
    assert step["target"]["action"] == "accept" and step["box"]["deleted"] is True
    prediction.refresh_from_db()
    assert prediction.status == PredictionStatus.PENDING
    step = redo(client, image)
    assert step["box"]["deleted"] is False and step["box"]["source"] == "ai"
    prediction.refresh_from_db()
    assert prediction.status == PredictionStatus.ACCEPTED
    patch(client_for(reviewer), box.pk, version=3, x_max=8)
    assert client.post(f"/api/images/{image.pk}/undo/").status_code == 409
    assert calls == ["undo", "redo"]  # the locking rule ran before the handler, which never saw the stale box
