"""`GET /api/projects/{id}/metrics/`: members only, validated filters, bounded queries at scale."""

import random

import pytest

from annotations.models import AnnotationEvent, Box
from inference.models import DetectionJob, JobStatus, Prediction
from tests.factories import LabelFactory


def url(project, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/api/projects/{project.pk}/metrics/" + (f"?{query}" if query else "")


def test_members_get_the_metrics(rows, project, label, annotator, client_for):
    (frame,) = rows.frames(1, status="approved")
    job = rows.job(frame, ["person"], revision="r9")
    rows.pred(job, label, (0, 0, 100, 100), status="accepted")
    rows.box(frame, label, (0, 0, 100, 100))
    response = client_for(annotator).get(url(project))
    assert response.status_code == 200
    body = response.json()
    assert body["detection"]["precision"] == 1.0 and body["per_revision"][0]["revision"] == "r9"
    assert body["per_label"][0]["name"] == "person"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"label": "abc"}, "label"),
        ({"label": "0"}, "label"),
        ({"label": "99999999999999999999999"}, "label"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-45"}, "until"),
        ({"since": "2026-02-01", "until": "2026-01-01"}, "until"),
        ({"revision": "r" * 101}, "revision"),
    ],
)
def test_bad_filters_are_a_400(project, annotator, client_for, params, field):
    response = client_for(annotator).get(url(project, **params))
    assert response.status_code == 400
    assert field in response.json()


def test_a_label_of_another_project_is_a_400(project, annotator, client_for):
    foreign = LabelFactory()
    response = client_for(annotator).get(url(project, label=foreign.pk))
    assert response.status_code == 400 and "label" in response.json()


def test_filters_reach_the_metrics(rows, project, label, annotator, client_for):
    (frame,) = rows.frames(1, status="approved")
    rows.pred(rows.job(frame, ["person"], revision="old"), label, (0, 0, 10, 10))
    body = client_for(annotator).get(url(project, revision="new", since="2020-01-01", until="2020-01-31")).json()
    assert body["filters"]["revision"] == "new" and body["decisions"]["predictions"] == 0
    assert body["filters"]["since"].startswith("2020-01-01T00:00") and body["filters"]["until"].startswith("2020-02-01")
    assert client_for(annotator).get(url(project, label=label.pk)).json()["filters"]["label"] == label.pk


def test_outsiders_and_anonymous_users_get_no_metrics(project, outsider, client_for):
    assert client_for(outsider).get(url(project)).status_code == 404
    assert client_for(None).get(url(project)).status_code == 401


def test_metrics_on_2000_frames_and_20000_boxes_take_a_bounded_number_of_queries(
    rows, project, annotator, client_for, django_assert_max_num_queries
):
    rng = random.Random(3)
    labels = [LabelFactory(project=project, name=name) for name in ("person", "car")]
    statuses = ["approved", "rejected", "in_progress", "new", "submitted"]
    frames = rows.frames(2000)
    for i, frame in enumerate(frames):
        frame.status = statuses[i % 5]
    type(frames[0]).objects.bulk_update(frames, ["status"], batch_size=2000)
    jobs = DetectionJob.objects.bulk_create(
        [DetectionJob(image=f, prompts=["person", "car"], status=JobStatus.DONE, revision=f"r{i % 2}")
         for i, f in enumerate(frames)], batch_size=2000)
    boxes, preds, events = [], [], []
    for frame, job in zip(frames, jobs):
        for k in range(10):
            x, y = rng.uniform(0, 500), rng.uniform(0, 380)
            label = labels[k % 2]
            boxes.append(Box(image=frame, label=label, x_min=x, y_min=y, x_max=x + 60, y_max=y + 60))
            if k < 8:
                preds.append(Prediction(job=job, image=frame, label=label, prompt=label.name, rank=k, score=rng.random(),
                                        x_min=x + 3, y_min=y, x_max=x + 63, y_max=y + 60,
                                        status=rng.choice(["accepted", "pending", "rejected", "corrected"])))
        events.append(AnnotationEvent(image=frame, user=annotator, action="create"))
    Box.objects.bulk_create(boxes, batch_size=5000)
    Prediction.objects.bulk_create(preds, batch_size=5000)
    AnnotationEvent.objects.bulk_create(events, batch_size=5000)
    assert Box.objects.filter(image__project=project).count() == 20_000

    with django_assert_max_num_queries(20):  # the same fixed set of queries as on an empty project
        response = client_for(annotator).get(url(project))
    assert response.status_code == 200
    body = response.json()
    # Every prediction is a shifted copy of a box (IoU 57/63 = 0.905): 8 of the 10 boxes are found.
    assert body["detection"]["precision"] == 1.0 and body["detection"]["recall"] == pytest.approx(0.8)
    assert body["progress"]["frames_total"] == 2000 and len(body["per_revision"]) == 2
