"""Detections stream to the frame's websocket: started, one result per prompt in order, then done."""

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from inference.detectors.memory import MemoryDetector
from inference.services import job_run, prediction_reject
from tests.live.helpers import clean_presence, connect, next_message  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio, pytest.mark.usefixtures("clean_presence")]
SKIP = ("presence", "image.status")


async def test_results_arrive_per_prompt_in_order_before_done(image, labels, annotator, reviewer, client_for):
    rita, _ = await connect(f"/ws/images/{image.pk}/", reviewer)
    response = await sync_to_async(client_for(annotator).post)(
        f"/api/images/{image.pk}/detect/", {"prompts": "person, car, dog"}, format="json"
    )
    assert response.status_code == 202
    job_id = response.json()["id"]
    # The suite runs with REDIS_URL (worker mode): run the job here as a worker would.
    await database_sync_to_async(job_run)(job_id=job_id)

    started = await next_message(rita, skip=SKIP)
    assert started["type"] == "detection.started" and started["job"]["id"] == job_id
    assert started["job"]["status"] == "running"
    results = [await next_message(rita, skip=SKIP) for _ in range(3)]
    assert [(m["type"], m["prompt"], m["index"]) for m in results] == [
        ("detection.result", "person", 0), ("detection.result", "car", 1), ("detection.result", "dog", 2)
    ]
    for message in results:
        expected = MemoryDetector.expected(message["prompt"], image.width, image.height)
        assert [(p["x_min"], p["y_min"], p["x_max"], p["y_max"]) for p in message["predictions"]] == [
            (d.x_min, d.y_min, d.x_max, d.y_max) for d in expected
        ]
        assert {p["status"] for p in message["predictions"]} == {"pending"}
    done = await next_message(rita, skip=SKIP)
    assert done["type"] == "detection.done" and done["job"]["status"] == "done"
    await rita.disconnect()


async def test_a_failed_job_sends_its_reason(image, annotator, reviewer, client_for, settings):
    settings.INFERENCE_BACKEND = "station"
    settings.MOONDREAM_ENDPOINT = ""
    rita, _ = await connect(f"/ws/images/{image.pk}/", reviewer)
    response = await sync_to_async(client_for(annotator).post)(
        f"/api/images/{image.pk}/detect/", {"prompts": "person"}, format="json"
    )
    await database_sync_to_async(job_run)(job_id=response.json()["id"])
    assert (await next_message(rita, skip=SKIP))["type"] == "detection.started"
    failed = await next_message(rita, skip=SKIP)
    assert failed["type"] == "detection.failed"
    assert "MOONDREAM_ENDPOINT" in failed["reason"] and failed["job"]["status"] == "failed"
    await rita.disconnect()


async def test_a_decision_is_sent_to_the_frame_group(image, labels, annotator, reviewer, client_for):
    """`detection.decided` goes out on the frame's group (relayed once the consumer forwards the type)."""
    from channels.layers import get_channel_layer

    from annotations.broadcast import image_group
    from inference.models import Prediction
    from inference.services import job_submit

    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(image_group(image.pk), channel)

    def decide():
        job = job_submit(image=image, user=annotator, prompts="person")
        job_run(job_id=job.pk)
        return prediction_reject(prediction=Prediction.objects.filter(job=job).first(), user=annotator)

    prediction = await database_sync_to_async(decide)()
    while True:
        message = await layer.receive(channel)
        if message["type"] == "detection.decided":
            break
    assert message["predictions"][0]["id"] == prediction.pk
    assert message["predictions"][0]["status"] == "rejected" and message["action"] == "reject"
    await layer.group_discard(image_group(image.pk), channel)
