"""Detecting again on a frame replaces its still-pending AI boxes of the same prompts; decisions stay."""

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.broadcast import image_group
from annotations.models import AnnotationEvent, Box
from inference.models import JobPurpose, Prediction
from inference.services import job_run, job_submit

pytestmark = pytest.mark.django_db


def detect(client, image, prompts: str) -> list[Prediction]:
    """Detect through the API, run the job as a worker would; the job's predictions in answer order."""
    response = client.post(f"/api/images/{image.pk}/detect/", {"prompts": prompts}, format="json")
    assert response.status_code == 202, response.content
    job_run(job_id=response.json()["id"])
    return list(Prediction.objects.filter(job_id=response.json()["id"]).order_by("prompt", "rank"))


def pending_ids(client, image) -> list[int]:
    body = client.get(f"/api/images/{image.pk}/predictions/?status=pending").json()
    return sorted(p["id"] for p in body["results"])


def test_a_second_run_replaces_the_pending_boxes_of_its_prompts_and_keeps_every_decision(
    image, labels, annotator, client_for
):
    client = client_for(annotator)
    first = detect(client, image, "person, car")
    cars = [p for p in first if p.prompt == "car"]
    accepted, rejected, waiting = [p for p in first if p.prompt == "person"]  # the memory detector: 3 people
    box_id = client.post(f"/api/predictions/{accepted.pk}/accept/", {}, format="json").json()["box"]["id"]
    assert client.post(f"/api/predictions/{rejected.pk}/reject/").status_code == 200
    events = list(AnnotationEvent.objects.order_by("id").values_list("id", "action"))

    second = detect(client, image, "person")

    # On offer now: the new run's people and the first run's cars (a prompt the new run did not ask).
    assert pending_ids(client, image) == sorted(p.pk for p in second + cars)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.decided_by, waiting.decided_at) == ("superseded", None, None)
    # Decisions, their box and their history are untouched; superseding records no event.
    accepted.refresh_from_db()
    rejected.refresh_from_db()
    assert (accepted.status, accepted.decided_by, rejected.status, rejected.decided_by) == (
        "accepted", annotator, "rejected", annotator
    )
    assert Box.objects.filter(pk=box_id, deleted=False, prediction=accepted).exists()
    assert list(AnnotationEvent.objects.order_by("id").values_list("id", "action")) == events
    # Nothing is deleted: both runs' answers stay, listed with their status.
    listed = client.get(f"/api/images/{image.pk}/predictions/").json()
    assert listed["count"] == len(first) + len(second)
    assert {p["id"]: p["status"] for p in listed["results"]}[waiting.pk] == "superseded"

    # A superseded box can no longer be decided, and the frame-wide decisions leave it alone.
    refused = client.post(f"/api/predictions/{waiting.pk}/accept/", {}, format="json")
    assert refused.status_code == 409 and "newer detection run" in refused.json()["detail"]
    rejected_all = client.post(f"/api/images/{image.pk}/predictions/reject-all/").json()["rejected"]
    assert sorted(p["id"] for p in rejected_all) == sorted(p.pk for p in second + cars)
    waiting.refresh_from_db()
    assert waiting.status == "superseded"


def test_running_again_twice_leaves_one_runs_boxes_on_offer(image, labels, annotator, client_for):
    client = client_for(annotator)
    detect(client, image, "person, car")
    detect(client, image, "person, car")
    third = detect(client, image, "person, car")
    assert pending_ids(client, image) == sorted(p.pk for p in third)
    assert Prediction.objects.filter(image=image, status="superseded").count() == 2 * len(third)


def test_an_undone_decision_on_a_replaced_run_does_not_come_back_as_pending(image, labels, annotator, client_for):
    client = client_for(annotator)
    old = detect(client, image, "person")
    client.post(f"/api/predictions/{old[0].pk}/reject/")
    new = detect(client, image, "person")

    assert client.post(f"/api/images/{image.pk}/undo/").status_code == 200
    old[0].refresh_from_db()
    assert (old[0].status, old[0].decided_by) == ("superseded", None)
    assert pending_ids(client, image) == sorted(p.pk for p in new)
    redo = client.post(f"/api/images/{image.pk}/redo/")
    assert redo.status_code == 409  # the rejection cannot be redone on a box that is no longer on offer
    old[0].refresh_from_db()
    assert old[0].status == "superseded"


def test_an_evaluation_run_replaces_nothing_people_see(image, labels, annotator, client_for):
    client = client_for(annotator)
    shown = detect(client, image, "person")
    job = job_submit(image=image, user=annotator, prompts="person", purpose=JobPurpose.EVALUATE)
    job_run(job_id=job.pk)
    assert pending_ids(client, image) == sorted(p.pk for p in shown)


def test_superseding_locks_the_frame_row_before_the_predictions(image, labels, annotator, client_for):
    """The frame lock order of annotations/services/locking.py: frame, then its predictions."""
    client = client_for(annotator)
    detect(client, image, "person")
    job = job_submit(image=image, user=annotator, prompts="person")
    with CaptureQueriesContext(connection) as queries:
        job_run(job_id=job.pk)
    locks = [q["sql"] for q in queries if " FOR " in q["sql"]]
    frame = next(i for i, sql in enumerate(locks) if sql.endswith("FOR NO KEY UPDATE") and '"annotations_image"' in sql)
    predictions = next(i for i, sql in enumerate(locks) if 'FOR UPDATE OF "inference_prediction"' in sql)
    assert frame < predictions


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_viewers_get_the_replaced_boxes_as_decided_before_the_new_result(image, labels, annotator, client_for):
    """`detection.decided {action: "supersede"}` comes just before the new run's result for that prompt,
    so a canvas swaps the boxes in one step."""
    client = client_for(annotator)
    old = await database_sync_to_async(detect)(client, image, "person")
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(image_group(image.pk), channel)

    new = await database_sync_to_async(detect)(client, image, "person")
    kinds = []
    while not kinds or kinds[-1][0] != "detection.done":
        message = await layer.receive(channel)
        if message["type"].startswith("detection."):
            kinds.append((message["type"], message))
    assert [kind for kind, _ in kinds] == ["detection.started", "detection.decided", "detection.result", "detection.done"]
    decided, result = kinds[1][1], kinds[2][1]
    assert decided["action"] == "supersede" and decided["user"]["username"] == annotator.username
    assert sorted(p["id"] for p in decided["predictions"]) == sorted(p.pk for p in old)
    assert {p["status"] for p in decided["predictions"]} == {"superseded"}
    assert sorted(p["id"] for p in result["predictions"]) == sorted(p.pk for p in new)
    await layer.group_discard(image_group(image.pk), channel)
