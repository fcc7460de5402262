"""The periodic tracking chore: sends the outbox to MLflow, backs off while MLflow is down, sends
each run once when it is back — with the real `mlflow` client on a real store."""

import pytest
from django.utils import timezone

from tracking.models import TrackingOutbox
from inference.tracking import detection_job_track
from inference.models import DetectionJob, JobStatus
from inference.periodic import CHORES, Schedule, run_due_work
from tests.mlops.conftest import runs_of

pytestmark = pytest.mark.django_db

DEAD_SERVER = "http://127.0.0.1:8519"
TRACKING = tuple(c for c in CHORES if c.name == "tracking")


def test_the_chore_backs_off_while_mlflow_is_down_then_sends_each_run_once(image, annotator, settings, mlflow_store):
    settings.PERIODIC_TRACKING_SECONDS, settings.PERIODIC_TRACKING_MAX_SECONDS = 2, 8
    settings.MLFLOW_TRACKING_URI = DEAD_SERVER
    job = DetectionJob.objects.create(image=image, prompts=["person"], status=JobStatus.DONE, backend="memory",
                                      created_by=annotator, started_at=timezone.now(), finished_at=timezone.now())
    key = detection_job_track(job=job)
    schedule = Schedule()

    down = run_due_work(schedule=schedule, now=0.0, chores=TRACKING)["tracking"]
    assert down["sent"] == 0 and down["pending"] == 1 and down["error"].startswith("MLflow unreachable")
    assert run_due_work(schedule=schedule, now=3.9, chores=TRACKING) == {}  # 2 s doubled
    assert set(run_due_work(schedule=schedule, now=4.0, chores=TRACKING)) == {"tracking"}
    assert run_due_work(schedule=schedule, now=11.9, chores=TRACKING) == {}  # 8 s: doubled again, capped
    assert set(run_due_work(schedule=schedule, now=12.0, chores=TRACKING)) == {"tracking"}
    assert TrackingOutbox.objects.get(key=key).attempts == 0  # a failed ping spends no attempt of the row

    settings.MLFLOW_TRACKING_URI = mlflow_store  # MLflow is back
    assert run_due_work(schedule=schedule, now=20.0, chores=TRACKING)["tracking"]["sent"] == 1
    assert set(run_due_work(schedule=schedule, now=22.0, chores=TRACKING)) == {"tracking"}  # back to 2 s
    (run,) = runs_of(image.project, mlflow_store, "detection_job")
    assert run.data.tags["hitl.outbox_key"] == key
    job.refresh_from_db()
    assert job.mlflow_run_id == run.info.run_id


def test_a_job_and_its_queued_run_commit_together_so_a_worker_dying_after_the_commit_loses_no_run(
    image, annotator, settings
):
    """The outbox row is written in the transaction that ends the job, not after it: no window
    in which a job is done and its run exists nowhere."""
    from inference.detectors import get_detector
    from inference.services import job_run, job_submit

    settings.INFERENCE_BACKEND = "memory"
    get_detector.cache_clear()
    try:
        done = job_run(job_id=job_submit(image=image, user=annotator, prompts="person").pk)
    finally:
        get_detector.cache_clear()
    # pytest-django never commits here, so no on_commit callback ran: the row came with the job.
    row = TrackingOutbox.objects.get(key=f"detection_job:{done.pk}")
    assert done.status == "done" and row.payload["params"]["status"] == "done" and row.sent_at is None
