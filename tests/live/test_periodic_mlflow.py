"""Periodic work for real: detections reach a separate `mlflow server` with nobody running
`flush_tracking`, and a tracking server that goes away mid-session costs no run and duplicates none.

- Embedded, as `make run` starts it: one Daphne running the jobs itself, MLflow on sqlite.
- Team mode: two Daphne processes on Redis, a `runworker inference` killed mid-job and replaced,
  MLflow on PostgreSQL stopped and restarted — every run arrives exactly once (counted by its
  outbox tag through MlflowClient).
"""

import json
import os
import signal
import subprocess
import sys
import urllib.request
from contextlib import contextmanager

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from rest_framework.authtoken.models import Token

from tracking.client import OUTBOX_TAG
from tracking.models import TrackingOutbox
from tracking.runs import project_experiment
from inference.models import DetectionJob
from tests.factories import ImageFactory, LabelFactory
from tests.live.daphne import ROOT, daphne_processes, database_url, free_ports, wait_for
from tests.live.mlflow_server import MlflowServer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(600),  # an `mlflow server` takes seconds to start, minutes on a loaded machine
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the processes share the test database"),
]


def api(port: int, path: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=120) as response:  # a loaded 2-core machine is slow
        return response.status, json.loads(response.read())


def detect(port: int, image, token: str, prompts: str) -> int:
    status, job = api(port, f"/api/images/{image.pk}/detect/", token, {"prompts": prompts})
    assert status == 202, job
    return job["id"]


def finished(job_id: int, timeout: float = 120) -> DetectionJob:
    job = wait_for(lambda: (j := DetectionJob.objects.get(pk=job_id)).status in ("done", "failed") and j,
                   timeout=timeout, what=f"job {job_id} to finish")
    assert job.status == "done", job.error
    return job


def pending_keys() -> set[str]:
    return set(TrackingOutbox.objects.filter(sent_at__isnull=True).values_list("key", flat=True))


def all_sent(keys) -> bool:
    return TrackingOutbox.objects.filter(key__in=list(keys), sent_at__isnull=False).count() == len(keys)


def base_env(tmp_path, media_root, mlflow: MlflowServer) -> dict:
    return {
        "DATABASE_URL": database_url(connection.settings_dict),
        "MEDIA_ROOT": str(media_root),
        "HITL_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "MLFLOW_TRACKING_URI": mlflow.url,
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def token(annotator):
    return Token.objects.create(user=annotator).key


@pytest.fixture
def person(project):
    return LabelFactory(project=project, name="person")


def test_embedded_a_detections_run_reaches_the_mlflow_server_with_nobody_flushing(
    image, person, token, tmp_path, media_root
):
    mlflow = MlflowServer(backend_uri=f"sqlite:///{tmp_path / 'mlflow.db'}", artifact_root=tmp_path / "mlruns",
                          log_dir=tmp_path)
    env = {**base_env(tmp_path, media_root, mlflow), "REDIS_URL": "", "INFERENCE_BACKEND": "memory"}
    try:
        mlflow.launch()  # starting meanwhile, as `make run` does: the run waits in the outbox until it answers
        with daphne_processes(free_ports(1), env, tmp_path) as [(port, _, log)]:
            job = finished(detect(port, image, token, "person"))
            key = f"detection_job:{job.pk}"
            experiment = project_experiment(image.project)
            mlflow.wait()
            wait_for(lambda: all_sent([key]), timeout=60, what=f"the run to be sent ({log})")
            assert mlflow.runs_by_key(experiment) == {key: 1}
    finally:
        mlflow.stop()
    row = TrackingOutbox.objects.get(key=key)
    assert row.sent_at is not None and row.attempts == 1
    job.refresh_from_db()
    assert job.mlflow_run_id == row.run_id


def test_embedded_an_annotation_sessions_run_reaches_mlflow_with_no_detection_ever_run(
    image, person, annotator, token, tmp_path, media_root
):
    """The embedded detector process starts with the server (it does the periodic work), not with the
    first detection: a team that never runs the model still gets its annotation sessions in MLflow."""
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {
        "DATABASE_URL": database_url(connection.settings_dict),
        "MEDIA_ROOT": str(media_root),
        "HITL_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "MLFLOW_TRACKING_URI": store,
        "REDIS_URL": "",
        "ANNOTATION_SESSION_IDLE_SECONDS": "1",
        "PERIODIC_SESSIONS_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    box = {"label": person.pk, "x_min": 1, "y_min": 1, "x_max": 20, "y_max": 20}
    with daphne_processes(free_ports(1), env, tmp_path) as [(port, _, log)]:
        status, created = api(port, f"/api/images/{image.pk}/boxes/", token, box)
        assert status == 201, created
        keys = wait_for(
            lambda: set(TrackingOutbox.objects.filter(kind="annotation_session", sent_at__isnull=False)
                        .values_list("key", flat=True)),
            timeout=120, what=f"the session's run to be sent ({log})",
        )
    assert not DetectionJob.objects.exists()
    from mlflow import MlflowClient  # late: only this test reads a store back itself

    client = MlflowClient(store)
    experiment = client.get_experiment_by_name(project_experiment(image.project))
    runs = client.search_runs([experiment.experiment_id])
    assert {run.data.tags[OUTBOX_TAG] for run in runs} == keys


@pytest.fixture
def mlflow_database():
    """A PostgreSQL database of its own for the MLflow server's backend store; dropped after."""
    server = {**connection.settings_dict}
    name = f"{server['NAME']}_mlflow"[:63]
    admin = database_url({**server, "NAME": "postgres"})
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield database_url({**server, "NAME": name}).replace("postgres://", "postgresql+psycopg://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def worker_processes(env: dict, log_dir):
    """`start(delay)` launches a `runworker inference` with the slow in-memory detector."""
    started = []

    def start(delay: float) -> subprocess.Popen:
        log = log_dir / f"worker{len(started)}.log"
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runworker", "inference"], cwd=ROOT,
            env={**os.environ, **env, "INFERENCE_MEMORY_DELAY": str(delay)},
            stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.mark.redis
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis server at REDIS_URL")
def test_team_mode_a_killed_worker_and_an_mlflow_restart_lose_no_run_and_duplicate_none(
    project, person, token, tmp_path, media_root, mlflow_database
):
    frames = [ImageFactory(project=project, frame_index=i) for i in range(3)]
    experiment = project_experiment(project)
    mlflow = MlflowServer(backend_uri=mlflow_database, artifact_root=tmp_path / "mlruns", log_dir=tmp_path)
    env = {
        **base_env(tmp_path, media_root, mlflow),
        "REDIS_URL": os.environ["REDIS_URL"],
        "INFERENCE_BACKEND": "inference.detectors.memory.SlowMemoryDetector",
        "INFERENCE_JOB_STALE_SECONDS": "3",
        "PERIODIC_REAP_SECONDS": "1",
        "PERIODIC_TRACKING_MAX_SECONDS": "4",
    }
    try:
        mlflow.launch()
        with daphne_processes(free_ports(2), env, tmp_path) as daphnes, worker_processes(env, tmp_path) as worker:
            (port_a, daphne_a, _), (port_b, daphne_b, _) = daphnes
            first = worker(delay=2.0)  # slow enough to be killed between prompts, even on a busy machine
            mlflow.wait()
            sent_live = finished(detect(port_a, frames[0], token, "person"))
            wait_for(lambda: all_sent([f"detection_job:{sent_live.pk}"]), timeout=60, what="the first run to be sent")

            mlflow.stop()  # the tracking server goes away mid-session
            retried = detect(port_b, frames[1], token, "person, car, dog")
            wait_for(lambda: DetectionJob.objects.get(pk=retried).timings.get("prompts"), timeout=120,
                     what="the first prompt to be stored")
            first.send_signal(signal.SIGKILL)
            first.wait()
            for port in (port_a, port_b):  # the web processes never ran the detector: both keep serving
                status, body = api(port, f"/api/jobs/{retried}/", token)
                assert status == 200 and body["status"] == "running"
            worker(delay=0.05)  # its reaper re-queues the dead worker's job; it runs the rest
            retried_job = finished(retried)
            assert retried_job.attempts == 2, (retried_job.attempts, retried_job.error)
            while_down = finished(detect(port_b, frames[2], token, "person"))
            expected = {f"detection_job:{pk}" for pk in (sent_live.pk, retried, while_down.pk)}
            assert pending_keys() == expected - {f"detection_job:{sent_live.pk}"}  # waiting in the outbox
            assert all_sent([f"detection_job:{sent_live.pk}"])

            mlflow.start()  # same port, same PostgreSQL store
            wait_for(lambda: all_sent(expected), timeout=120, what="the outbox to drain")
            assert daphne_a.poll() is None and daphne_b.poll() is None
        assert mlflow.runs_by_key(experiment) == {key: 1 for key in expected}
    finally:
        mlflow.stop()
