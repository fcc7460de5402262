"""Real `manage.py runworker inference` processes on the Redis channel layer.

A job submitted over the API runs in the worker end to end; a worker killed (SIGKILL) mid-job
(its child dies with it) leaves the job to the reaper, which re-queues it; another worker
finishes it without duplicating the predictions already stored. A detector that crashes or hangs
costs its job, never the worker.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from inference.detectors.memory import MemoryDetector
from inference.models import DetectionJob, Prediction
from tests.live.daphne import wait_for

REPO = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs REDIS_URL (the channel layer workers use)"),
]


def database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        pytest.skip("the worker subprocess needs a database server (set DATABASE_URL)")
    auth = (s["USER"] or "") + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgres://{auth}{'@' if auth else ''}{s['HOST'] or '127.0.0.1'}{port}/{s['NAME']}"


@pytest.fixture
def workers(tmp_path, settings):
    """`start()` launches a runworker subprocess with the slow in-memory detector."""
    settings.INFERENCE_JOB_STALE_SECONDS = 2
    started = []

    def start(delay: float = 0, backend: str = "inference.detectors.memory.SlowMemoryDetector", **extra):
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "INFERENCE_BACKEND": backend,
            "INFERENCE_MEMORY_DELAY": str(delay),
            "INFERENCE_JOB_STALE_SECONDS": "2",
            "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
        log = open(tmp_path / f"worker{len(started)}.log", "wb")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runworker", "inference"], cwd=REPO, env=env, stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
        if os.environ.get("SHOW_WORKER_LOGS"):
            print(Path(log.name).read_text())


def job_state(job_id):
    return DetectionJob.objects.get(pk=job_id)


def test_a_worker_runs_a_submitted_job_end_to_end(workers, image, labels, annotator, client_for):
    workers(delay=0.05)
    response = client_for(annotator).post(
        f"/api/images/{image.pk}/detect/", {"prompts": "person, car"}, format="json"
    )
    assert response.status_code == 202
    job_id = response.json()["id"]
    job = wait_for(lambda: (j := job_state(job_id)).status in ("done", "failed") and j, what="the job to finish")
    assert job.status == "done", job.error
    assert job.backend == "memory-slow" and job.attempts == 1
    for prompt in ("person", "car"):
        assert Prediction.objects.filter(job_id=job_id, prompt=prompt).count() == len(
            MemoryDetector.expected(prompt, image.width, image.height)
        )


def test_a_worker_killed_mid_job_leaves_it_to_the_reaper_and_another_worker_finishes_it(
    workers, image, labels, annotator, client_for
):
    first = workers(delay=2.0)  # long enough that the kill lands between prompts even on a busy machine
    response = client_for(annotator).post(
        f"/api/images/{image.pk}/detect/", {"prompts": "person, car, dog"}, format="json"
    )
    job_id = response.json()["id"]
    wait_for(lambda: job_state(job_id).timings.get("prompts"), what="the first prompt to be stored")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed = job_state(job_id)
    assert killed.status == "running"  # nobody told the database: only the missing heartbeat shows it
    stored_before = set(killed.timings["prompts"])
    assert stored_before and stored_before != {"person", "car", "dog"}

    workers(delay=0.05)  # its reaper re-queues the job once the heartbeat is 2 s old, then runs it
    job = wait_for(lambda: (j := job_state(job_id)).status in ("done", "failed") and j, what="the retried job")
    assert job.status == "done", job.error
    assert job.attempts == 2
    assert set(job.timings["prompts"]) == {"person", "car", "dog"}
    for prompt in ("person", "car", "dog"):
        ranks = list(Prediction.objects.filter(job_id=job_id, prompt=prompt).values_list("rank", flat=True))
        assert sorted(ranks) == list(range(len(MemoryDetector.expected(prompt, image.width, image.height))))



def test_a_native_crash_or_a_hang_in_the_detector_costs_the_job_never_the_worker(
    workers, image, labels, annotator, client_for, settings
):
    """`runworker` runs detectors in its supervised child, as embedded mode does: SIGSEGV is retried
    once on a fresh child, then failed with the signal; a hang is killed at the timeout and failed;
    the runworker process (same pid) then runs the next job normally."""
    faulty = "tests.inference.faulty.FaultyDetector"
    settings.INFERENCE_BACKEND = faulty  # so the web side accepts the test-only prompts
    client = client_for(annotator)
    worker = workers(backend=faulty, INFERENCE_JOB_TIMEOUT_SECONDS="3")

    def finished(prompt):
        job_id = client.post(f"/api/images/{image.pk}/detect/", {"prompts": prompt}, format="json").json()["id"]
        return wait_for(lambda: (j := job_state(job_id)).status in ("done", "failed") and j, what=f"the {prompt} job")

    job = finished("segfault")
    assert job.status == "failed" and job.attempts == 2
    assert "crashed on this frame (signal 11, SIGSEGV)" in job.error and job.error.endswith("Failed after 2 attempts.")
    job = finished("hang")
    assert job.status == "failed" and job.attempts == 1
    assert "longer than INFERENCE_JOB_TIMEOUT_SECONDS (3 s)" in job.error
    job = finished("person")
    assert job.status == "done", job.error
    assert worker.poll() is None  # the runworker process itself never died
