"""A propagation asked over the API runs in a real `runworker inference` process, never in the web process."""

import pytest
from django.conf import settings as django_settings

from annotations.models import Box
from inference.models import DetectionJob
from inference.trackers import iou
from tests.inference.propagation_helpers import stored_clip, track_on
from tests.inference.test_worker import workers  # noqa: F401  (the runworker fixture)
from tests.live.daphne import wait_for

pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs REDIS_URL (the channel layer workers use)"),
]


def test_the_worker_tracks_the_square_and_the_web_process_builds_no_tracker(
    workers, project, label, annotator, client_for, monkeypatch  # noqa: F811
):
    from inference import frames, trackers
    from inference.services import propagation

    for module, name in ((trackers, "tracker_create"), (propagation, "tracker_create"), (frames, "frame_read")):
        monkeypatch.setattr(module, name, lambda *a, **k: pytest.fail("the web process ran the tracker"))
    images, path = stored_clip(project, frames=20)
    track = track_on(images, path, label=label, user=annotator)
    workers()
    response = client_for(annotator).post(f"/api/tracks/{track.pk}/propagate/",
                                          {"from_image": images[0].pk, "frames": 19}, format="json")
    assert response.status_code == 202
    job_id = response.json()["id"]
    job = wait_for(lambda: (j := DetectionJob.objects.get(pk=job_id)).status in ("done", "failed") and j,
                   what="the propagation to finish")
    assert job.status == "done", job.error
    assert job.timings["stopped"] == "done" and job.timings["frames"] == 19
    boxes = Box.objects.filter(track=track, source="tracked", deleted=False).order_by("image__frame_index")
    truths = {image.pk: box for image, box in zip(images, path)}
    ious = [iou((b.x_min, b.y_min, b.x_max, b.y_max), truths[b.image_id]) for b in boxes]
    assert len(ious) == 19 and sum(ious) / len(ious) >= 0.7
