"""Auditing AI boxes through the API: accept, correct, reject, for the frame at once, and undo."""

import pytest

from annotations.models import AnnotationEvent, Box, ImageStatus
from inference.models import Prediction
from inference.services import job_run, job_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def predictions(image, labels, annotator):
    job = job_submit(image=image, user=annotator, prompts="person, car")
    job_run(job_id=job.pk)
    return list(Prediction.objects.filter(job=job).order_by("id"))


def test_the_frame_predictions_are_listed_and_filtered_with_bounded_queries(
    image, predictions, annotator, client_for, django_assert_max_num_queries
):
    client = client_for(annotator)
    with django_assert_max_num_queries(8):
        body = client.get(f"/api/images/{image.pk}/predictions/").json()
    assert [p["id"] for p in body["results"]] == [p.pk for p in predictions]
    assert {"id", "job", "image", "prompt", "label", "x_min", "y_min", "x_max", "y_max", "score", "status"} <= set(
        body["results"][0]
    )
    client.post(f"/api/predictions/{predictions[0].pk}/reject/")
    pending = client.get(f"/api/images/{image.pk}/predictions/?status=pending").json()
    assert pending["count"] == len(predictions) - 1
    assert client.get(f"/api/images/{image.pk}/predictions/?status=bogus").status_code == 400


def test_accepting_makes_a_human_owned_ai_box_linked_to_the_prediction(image, predictions, annotator, client_for):
    prediction = predictions[0]
    response = client_for(annotator).post(f"/api/predictions/{prediction.pk}/accept/", {}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["prediction"]["status"] == "accepted" and body["prediction"]["decided_by"] == annotator.pk
    box = Box.objects.get(pk=body["box"]["id"])
    assert (box.source, box.prediction_id, box.created_by, box.label) == ("ai", prediction.pk, annotator, prediction.label)
    assert (box.x_min, box.y_min, box.x_max, box.y_max) == (prediction.x_min, prediction.y_min, prediction.x_max,
                                                             prediction.y_max)
    assert AnnotationEvent.objects.filter(box=box, action="accept", user=annotator).count() == 1
    image.refresh_from_db()
    assert image.status == ImageStatus.IN_PROGRESS


def test_accepting_with_other_coordinates_is_a_correction_that_keeps_both_geometries(
    image, predictions, annotator, client_for
):
    prediction = predictions[0]
    body = client_for(annotator).post(
        f"/api/predictions/{prediction.pk}/accept/", {"x_min": 1, "y_max": 40}, format="json"
    ).json()
    assert body["prediction"]["status"] == "corrected"
    assert (body["box"]["x_min"], body["box"]["y_max"]) == (1.0, 40.0)
    assert body["box"]["x_max"] == prediction.x_max
    prediction.refresh_from_db()
    assert (prediction.x_min, prediction.y_max) == (body["prediction"]["x_min"], body["prediction"]["y_max"])
    assert prediction.x_min != 1.0


def test_a_correction_outside_the_image_is_a_400_and_decides_nothing(image, predictions, annotator, client_for):
    prediction = predictions[0]
    response = client_for(annotator).post(
        f"/api/predictions/{prediction.pk}/accept/", {"x_max": image.width + 50}, format="json"
    )
    assert response.status_code == 400
    prediction.refresh_from_db()
    assert prediction.status == "pending" and not Box.objects.exists()


def test_rejecting_then_deciding_again_is_a_409(image, predictions, annotator, client_for):
    client = client_for(annotator)
    prediction = predictions[0]
    response = client.post(f"/api/predictions/{prediction.pk}/reject/")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    again = client.post(f"/api/predictions/{prediction.pk}/accept/", {}, format="json")
    assert again.status_code == 409 and again.json()["prediction"]["status"] == "rejected"
    assert client.post(f"/api/predictions/{prediction.pk}/reject/").status_code == 409


def test_a_prediction_without_a_matching_label_needs_one_to_be_accepted(image, labels, annotator, client_for):
    job = job_submit(image=image, user=annotator, prompts="bicycle")
    job_run(job_id=job.pk)
    prediction = Prediction.objects.filter(job=job).first()
    client = client_for(annotator)
    refused = client.post(f"/api/predictions/{prediction.pk}/accept/", {}, format="json")
    assert refused.status_code == 400 and "bicycle" in refused.json()["detail"]
    body = client.post(f"/api/predictions/{prediction.pk}/accept/", {"label": labels[0].pk}, format="json").json()
    assert body["box"]["label"] == labels[0].pk and body["prediction"]["status"] == "accepted"


def test_accept_all_and_reject_all_decide_every_pending_box_of_the_frame(image, predictions, annotator, client_for):
    client = client_for(annotator)
    first, rest = predictions[0], predictions[1:]
    client.post(f"/api/predictions/{first.pk}/reject/")
    body = client.post(f"/api/images/{image.pk}/predictions/accept-all/").json()
    assert sorted(item["prediction"]["id"] for item in body["accepted"]) == [p.pk for p in rest]
    assert Box.objects.filter(image=image, source="ai", deleted=False).count() == len(rest)
    assert client.post(f"/api/images/{image.pk}/predictions/reject-all/").json() == {"rejected": []}


def test_reject_all_rejects_the_pending_ones(image, predictions, annotator, client_for):
    body = client_for(annotator).post(f"/api/images/{image.pk}/predictions/reject-all/").json()
    assert [p["id"] for p in body["rejected"]] == [p.pk for p in predictions]
    assert set(Prediction.objects.values_list("status", flat=True)) == {"rejected"}


def test_undo_of_an_accept_deletes_the_box_and_puts_the_prediction_back_and_redo_restores(
    image, predictions, annotator, client_for
):
    client = client_for(annotator)
    prediction = predictions[0]
    box_id = client.post(f"/api/predictions/{prediction.pk}/accept/", {"x_min": 2}, format="json").json()["box"]["id"]
    undo = client.post(f"/api/images/{image.pk}/undo/")
    assert undo.status_code == 200 and undo.json()["box"]["deleted"] is True
    prediction.refresh_from_db()
    assert prediction.status == "pending" and prediction.decided_by is None
    assert not Box.objects.filter(pk=box_id, deleted=False).exists()

    redo = client.post(f"/api/images/{image.pk}/redo/")
    assert redo.status_code == 200 and redo.json()["box"]["deleted"] is False
    prediction.refresh_from_db()
    assert prediction.status == "corrected"


def test_undo_of_a_reject_puts_the_prediction_back_to_pending(image, predictions, annotator, client_for):
    client = client_for(annotator)
    prediction = predictions[0]
    client.post(f"/api/predictions/{prediction.pk}/reject/")
    assert client.post(f"/api/images/{image.pk}/undo/").status_code == 200
    prediction.refresh_from_db()
    assert prediction.status == "pending"
    assert client.post(f"/api/images/{image.pk}/redo/").status_code == 200
    prediction.refresh_from_db()
    assert prediction.status == "rejected"


def test_an_approved_frame_is_locked_for_annotators(image, predictions, annotator, client_for):
    image.status = ImageStatus.APPROVED
    image.save()
    client = client_for(annotator)
    assert client.post(f"/api/predictions/{predictions[0].pk}/accept/", {}, format="json").status_code == 409
    assert client.post(f"/api/predictions/{predictions[0].pk}/reject/").status_code == 409
    assert set(Prediction.objects.values_list("status", flat=True)) == {"pending"}


def test_outsiders_cannot_see_or_decide_predictions(image, predictions, outsider, client_for):
    client = client_for(outsider)
    assert client.get(f"/api/images/{image.pk}/predictions/").status_code == 404
    assert client.post(f"/api/predictions/{predictions[0].pk}/accept/", {}, format="json").status_code == 404
    assert client.post(f"/api/predictions/{predictions[0].pk}/reject/").status_code == 404
    assert client.get(f"/api/jobs/{predictions[0].job_id}/").status_code == 404
    assert client.post("/api/predictions/999999999/accept/", {}, format="json").status_code == 404


def test_accepting_under_another_label_is_a_correction(image, predictions, labels, annotator, client_for):
    prediction = next(p for p in predictions if p.label_id == labels[0].pk)
    body = client_for(annotator).post(
        f"/api/predictions/{prediction.pk}/accept/", {"label": labels[1].pk}, format="json"
    ).json()
    assert body["prediction"]["status"] == "corrected" and body["prediction"]["label"] == labels[0].pk
    assert body["box"]["label"] == labels[1].pk
    assert body["box"]["x_min"] == prediction.x_min


def test_two_users_accepting_the_same_ai_box_make_one_box(image, predictions, annotator, reviewer, client_for):
    prediction = predictions[0]
    first = client_for(annotator).post(f"/api/predictions/{prediction.pk}/accept/", {}, format="json")
    second = client_for(reviewer).post(f"/api/predictions/{prediction.pk}/accept/", {}, format="json")
    assert first.status_code == 200 and second.status_code == 409
    assert Box.objects.filter(prediction=prediction).count() == 1


def test_moving_an_accepted_ai_box_later_marks_it_corrected_and_undo_puts_it_back_to_accepted(
    image, predictions, annotator, client_for, sent, django_capture_on_commit_callbacks
):
    client = client_for(annotator)
    prediction = predictions[0]
    box = client.post(f"/api/predictions/{prediction.pk}/accept/", {}, format="json").json()["box"]
    with django_capture_on_commit_callbacks(execute=True):
        moved = client.patch(f"/api/boxes/{box['id']}/", {"x_min": box["x_min"] + 3, "version": box["version"]}, format="json")
    assert moved.status_code == 200
    prediction.refresh_from_db()
    assert prediction.status == "corrected" and prediction.decided_by == annotator
    assert prediction.x_min == box["x_min"], "the prediction keeps the model's geometry"
    decided = [payload for _, kind, payload in sent if kind == "detection.decided"]
    assert decided[-1]["predictions"][0]["status"] == "corrected" and decided[-1]["action"] == "correct"

    assert client.post(f"/api/images/{image.pk}/undo/").status_code == 200
    prediction.refresh_from_db()
    assert prediction.status == "accepted"
    assert client.post(f"/api/images/{image.pk}/redo/").status_code == 200
    prediction.refresh_from_db()
    assert prediction.status == "corrected"


def test_editing_a_human_box_or_a_rejected_prediction_box_changes_no_prediction(image, predictions, labels, annotator, client_for):
    client = client_for(annotator)
    human = client.post(
        f"/api/images/{image.pk}/boxes/", {"label": labels[0].pk, "x_min": 1, "y_min": 1, "x_max": 9, "y_max": 9}, format="json"
    ).json()
    client.patch(f"/api/boxes/{human['id']}/", {"x_min": 2, "version": human["version"]}, format="json")
    assert set(Prediction.objects.values_list("status", flat=True)) == {"pending"}


def test_an_accept_all_is_undone_and_redone_in_one_step(image, predictions, annotator, client_for):
    client = client_for(annotator)
    accepted = client.post(f"/api/images/{image.pk}/predictions/accept-all/").json()["accepted"]
    assert len(accepted) >= 2
    undo = client.post(f"/api/images/{image.pk}/undo/").json()
    assert sorted(b["id"] for b in undo["boxes"]) == sorted(a["box"]["id"] for a in accepted)
    assert all(b["deleted"] for b in undo["boxes"]) and undo["can_undo"] is False
    assert not Box.objects.filter(image=image, deleted=False).exists()
    assert set(Prediction.objects.filter(image=image).values_list("status", flat=True)) == {"pending"}

    redo = client.post(f"/api/images/{image.pk}/redo/").json()
    assert len(redo["boxes"]) == len(accepted) and not any(b["deleted"] for b in redo["boxes"])
    assert redo["can_redo"] is False
    assert Box.objects.filter(image=image, deleted=False).count() == len(accepted)
    assert client.post(f"/api/images/{image.pk}/undo/").json()["can_undo"] is False  # still one step


def test_an_accept_all_whose_box_someone_changed_is_not_undone_in_part(
    image, predictions, annotator, manager, client_for
):
    client = client_for(annotator)
    accepted = client.post(f"/api/images/{image.pk}/predictions/accept-all/").json()["accepted"]
    box = accepted[0]["box"]
    moved = client_for(manager).patch(f"/api/boxes/{box['id']}/", {"x_min": 0, "version": box["version"]}, format="json")
    assert moved.status_code == 200, moved.json()
    assert client.post(f"/api/images/{image.pk}/undo/").status_code == 409
    assert Box.objects.filter(image=image, deleted=False).count() == len(accepted)  # nothing undone
