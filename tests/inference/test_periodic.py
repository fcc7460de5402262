"""Periodic work (`inference.periodic`): each chore on its own interval, never raising, in a thread
of the process that runs jobs — and no request does any of it."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inference import periodic
from inference.models import DetectionJob
from inference.periodic import Chore, PeriodicRunner, Schedule, periodic_start, run_due_work
from inference.services import job_submit
from tests.factories import ImageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def intervals(settings):
    settings.INFERENCE_JOB_STALE_SECONDS = 60
    settings.PERIODIC_REAP_SECONDS = 5
    settings.PERIODIC_SESSIONS_SECONDS = 60
    settings.PERIODIC_TRACKING_SECONDS = 2
    settings.PERIODIC_TRACKING_MAX_SECONDS = 60
    settings.PERIODIC_STATUS_SECONDS = 60
    settings.PERIODIC_EVALUATIONS_SECONDS = 60
    return settings


def stale(job, *, attempts=1, seconds=600):
    DetectionJob.objects.filter(pk=job.pk).update(
        status="running", attempts=attempts, heartbeat_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_a_first_round_runs_every_chore_then_each_waits_its_own_interval(image, annotator, intervals):
    job = job_submit(image=image, user=annotator, prompts="person")
    stale(job, attempts=2)
    schedule = Schedule()
    first = run_due_work(schedule=schedule, now=1000.0)
    assert set(first) == {"reap", "sessions", "evaluations", "tracking", "status"}
    assert first["evaluations"] == {"started": []}  # no evaluation waits for a driver
    assert first["reap"] == {"requeued": [], "failed": [job.pk], "resent": []}
    # The reaped job's MLflow run is queued as it fails, so the same round's flush sends it.
    assert first["sessions"] == {"closed": 0} and first["tracking"]["sent"] == 1
    job.refresh_from_db()
    assert job.status == "failed" and "stopped responding" in job.error

    assert run_due_work(schedule=schedule, now=1001.0) == {}
    assert set(run_due_work(schedule=schedule, now=1002.0)) == {"tracking"}
    assert set(run_due_work(schedule=schedule, now=1005.0)) == {"reap", "tracking"}
    assert set(run_due_work(schedule=schedule, now=1060.0)) == {"reap", "sessions", "evaluations", "tracking", "status"}


def test_a_failing_chore_is_logged_and_the_others_still_run(image, annotator, intervals, caplog):
    def broken():
        raise RuntimeError("database restarting")

    chores = (Chore("broken", broken, "PERIODIC_REAP_SECONDS"), periodic.CHORES[0])
    job = job_submit(image=image, user=annotator, prompts="person")
    stale(job, attempts=2)
    schedule = Schedule()
    results = run_due_work(schedule=schedule, now=0.0, chores=chores)
    assert results["broken"] == {"error": "RuntimeError: database restarting"}
    assert results["reap"]["failed"] == [job.pk]
    assert "Periodic work 'broken' failed" in caplog.text
    assert run_due_work(schedule=schedule, now=4.0, chores=chores) == {}  # retried after its interval, not at once
    assert set(run_due_work(schedule=schedule, now=5.0, chores=chores)) == {"broken", "reap"}


def test_status_is_published_by_workers_only(intervals, settings):
    from django.core.cache import cache

    from inference.status import STATUS_KEY

    settings.INFERENCE_EXECUTION = "embedded"
    assert run_due_work(schedule=Schedule(), now=0.0)["status"] == {}
    assert cache.get(STATUS_KEY) is None
    settings.INFERENCE_EXECUTION = "worker"
    published = run_due_work(schedule=Schedule(), now=0.0)["status"]
    assert published["backend"] == "memory" and cache.get(STATUS_KEY) == published


def test_submitting_a_job_does_not_reap_others_a_dead_workers_job_holds_its_frame_until_periodic_work(
    project, annotator, client_for, intervals
):
    """A request never repairs jobs: the frame of a dead worker's job answers 409 until the reaper ran."""
    image, other = ImageFactory(project=project), ImageFactory(project=project)
    dead = job_submit(image=image, user=annotator, prompts="person")
    stale(dead, attempts=2)
    elsewhere = job_submit(image=other, user=annotator, prompts="person")
    stale(elsewhere, attempts=2)
    client = client_for(annotator)
    response = client.post(f"/api/images/{image.pk}/detect/", {"prompts": "car"}, format="json")
    assert response.status_code == 409 and response.json()["job"] == dead.pk
    assert DetectionJob.objects.filter(status="running").count() == 2

    run_due_work(schedule=Schedule(), now=0.0)
    assert client.post(f"/api/images/{image.pk}/detect/", {"prompts": "car"}, format="json").status_code == 202
    assert set(DetectionJob.objects.filter(pk__in=[dead.pk, elsewhere.pk]).values_list("status", flat=True)) == {
        "failed"
    }


def test_submitting_a_job_writes_only_the_new_job(image, annotator, client_for, intervals):
    with CaptureQueriesContext(connection) as queries:
        response = client_for(annotator).post(f"/api/images/{image.pk}/detect/", {"prompts": "person"}, format="json")
    assert response.status_code == 202
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]
    assert len(writes) == 1 and writes[0].startswith('INSERT INTO "inference_detectionjob"')


def test_periodic_start_is_off_at_zero_and_starts_one_runner_per_process(settings, monkeypatch):
    settings.PERIODIC_WORK_SECONDS = 0
    assert periodic_start() is None
    monkeypatch.setattr(periodic, "_runner", None)
    settings.PERIODIC_WORK_SECONDS = 3600  # a tick so long that no round runs during the test
    runner = periodic_start()
    try:
        assert runner.is_alive() and periodic_start() is runner and runner.rounds == 0
    finally:
        runner.stop()
    assert not runner.is_alive()


@pytest.mark.django_db(transaction=True)
def test_the_runner_thread_reaps_a_dead_workers_job_on_its_own(image, annotator, intervals, mlflow_store):
    # Created directly: job_submit would hand it to this process's executor at once.
    job = DetectionJob.objects.create(image=image, prompts=["person"], created_by=annotator, heartbeat_at=timezone.now())
    stale(job, attempts=2)
    runner = PeriodicRunner(tick=0.05).start()
    try:
        deadline = time.monotonic() + 30
        while DetectionJob.objects.get(pk=job.pk).status != "failed" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        runner.stop()
    assert DetectionJob.objects.get(pk=job.pk).status == "failed"
    assert not runner.is_alive() and runner.rounds >= 1
