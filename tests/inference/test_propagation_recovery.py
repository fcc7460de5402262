"""A propagation whose worker crashed, hung or was killed mid-run ends like one that failed in its run:
`detection.failed`, then `track.done {stopped: "failed", reason}`, what it wrote one undo step."""

from datetime import timedelta

import pytest
from django.utils import timezone

from annotations.models import Box, BoxSource
from annotations.services.history import history_undo
from inference.models import DetectionJob, JobStatus
from inference.services import propagation
from inference.services.job_recovery import job_worker_lost, jobs_reap_stale
from inference.services.propagation import propagation_run, propagation_submit
from tests.inference.propagation_helpers import stored_clip, track_on

pytestmark = pytest.mark.django_db

CRASH = "The tracker process crashed on this frame (signal 9, SIGKILL)."


class WorkerDied(BaseException):
    """Ends the run the way a dead process does: past every `except Exception`, the job left running."""


def tracked_boxes(track):
    return list(Box.objects.filter(track=track, deleted=False, source=BoxSource.TRACKED))


def ends(sent):
    return [(group, kind, payload) for group, kind, payload in sent if kind in ("detection.failed", "track.done")]


@pytest.fixture
def crashed(project, label, annotator, monkeypatch, django_capture_on_commit_callbacks):
    """`(images, track, job)`: a propagation of 5 frames whose worker died after writing two of them."""
    images, path = stored_clip(project, frames=6)
    track = track_on(images, path, label=label, user=annotator)
    real_store, stored = propagation._store, []

    def store_then_die(**kwargs):
        if len(stored) == 2:
            raise WorkerDied
        stored.append(real_store(**kwargs))
        return stored[-1]

    monkeypatch.setattr(propagation, "_store", store_then_die)
    job = propagation_submit(track=track, from_image=images[0], frames=5, user=annotator)  # not dispatched
    with pytest.raises(WorkerDied), django_capture_on_commit_callbacks(execute=True):
        propagation_run(job_id=job.pk)
    monkeypatch.setattr(propagation, "_store", real_store)
    return images, track, job


def fail_by_stale_heartbeat(job, settings):
    settings.INFERENCE_JOB_MAX_ATTEMPTS = 1
    DetectionJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=600))
    assert jobs_reap_stale(stale_after=60)["failed"] == [job.pk]


def fail_by_dead_worker(job, settings):
    assert job_worker_lost(job_id=job.pk, reason=CRASH, retry=False) == "failed"


def fail_by_hang(job, settings):
    settings.INFERENCE_JOB_TIMEOUT_SECONDS = 30
    DetectionJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now(), started_at=timezone.now() - timedelta(seconds=60)
    )
    assert jobs_reap_stale()["failed"] == [job.pk]


@pytest.mark.parametrize("fail", [fail_by_stale_heartbeat, fail_by_dead_worker, fail_by_hang])
def test_a_propagation_failed_by_the_recovery_ends_with_track_done_failed_and_one_undo_step(
    crashed, annotator, settings, sent, django_capture_on_commit_callbacks, fail
):
    images, track, job = crashed
    assert DetectionJob.objects.get(pk=job.pk).status == JobStatus.RUNNING and len(tracked_boxes(track)) == 2
    assert ends(sent) == []  # the dead run said nothing about its end
    with django_capture_on_commit_callbacks(execute=True):
        fail(job, settings)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error
    ended = ends(sent)
    assert [(group, kind) for group, kind, _ in ended] == [
        (f"image.{images[0].pk}", "detection.failed"),
        (f"project.{images[0].project_id}", "track.done"),
        (f"image.{images[0].pk}", "track.done"),
        (f"image.{images[2].pk}", "track.done"),
    ]
    assert ended[0][2]["job"]["kind"] == "propagate" and ended[0][2]["reason"] == job.error
    assert ended[1][2] == {"job": job.pk, "track": track.pk, "image": images[0].pk, "frames": 2,
                           "stopped": "failed", "reason": job.error}
    assert len(tracked_boxes(track)) == 2
    history_undo(image=images[0], user=annotator)
    assert tracked_boxes(track) == []
    assert Box.objects.filter(track=track, deleted=False).count() == 1  # the person's box it started from


def test_a_retry_after_a_crash_makes_both_attempts_writes_one_undo_step(crashed, annotator, django_capture_on_commit_callbacks):
    """The crashed attempt's two boxes and the retry's five are taken back by one undo."""
    images, track, job = crashed
    with django_capture_on_commit_callbacks(execute=False):  # the test runs the retry, not a worker
        assert job_worker_lost(job_id=job.pk, reason=CRASH) == "requeued"
    finished = propagation_run(job_id=job.pk)
    assert (finished.status, finished.attempts) == (JobStatus.DONE, 2)
    assert len(tracked_boxes(track)) == 5
    history_undo(image=images[0], user=annotator)
    assert tracked_boxes(track) == []
