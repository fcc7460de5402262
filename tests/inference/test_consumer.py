"""The `inference` channel worker's consumer, driven directly (no Redis, no subprocess)."""

import pytest

from inference.detectors.memory import MemoryDetector
from inference.models import DetectionJob
from tests.factories import ImageFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.asyncio
async def test_the_worker_consumer_runs_jobs_in_order_and_ignores_malformed_or_duplicate_messages(
    image, project, labels, annotator
):
    from channels.db import database_sync_to_async
    from channels.testing import ApplicationCommunicator

    from inference.routing import channel_workers
    from inference.services import job_submit

    job = await database_sync_to_async(job_submit)(image=image, user=annotator, prompts="person, car")
    other = await database_sync_to_async(lambda: job_submit(image=ImageFactory(project=project), user=annotator,
                                                            prompts="dog"))()
    worker = ApplicationCommunicator(channel_workers["inference"], {"type": "channel", "channel": "inference"})
    await worker.send_input({"type": "job.run", "job_id": "not a number"})
    await worker.send_input({"type": "job.run", "job_id": job.pk})
    await worker.send_input({"type": "job.run", "job_id": job.pk})  # a duplicate is a no-op
    await worker.send_input({"type": "job.run", "job_id": other.pk})  # handled after the duplicate
    for _ in range(300):
        status = await database_sync_to_async(lambda: DetectionJob.objects.get(pk=other.pk).status)()
        if status == "done":
            break
        await worker.receive_nothing(0.1)
    assert status == "done"
    assert MemoryDetector.detect_calls == ["person", "car", "dog"]
    worker.future.cancel()
