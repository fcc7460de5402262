"""A detector that crashes or hangs fails its job, never the server (embedded default, real Daphne).

One Daphne process without Redis supervises its spawned worker process, which runs the real
OpenCV detector plus the test-only `segfault` and `hang` prompts (`tests/inference/faulty.py`).
"""

import asyncio
import json
import os
import time
import urllib.request
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect

from inference.models import DetectionJob
from tests.factories import ImageFactory
from tests.live.daphne import daphne_processes, database_url, free_ports
from tests.live.helpers import session_cookie

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the server shares the test database"),
]
TIMEOUT = 3  # INFERENCE_JOB_TIMEOUT_SECONDS of the server under test


@pytest.fixture
def server(transactional_db, tmp_path, media_root):
    """One Daphne on the test database, embedded mode (no Redis); its port and process."""
    (port,) = free_ports(1)
    env = {
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": "",  # the embedded default: in-memory channel layer, jobs in a supervised child
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "MEDIA_ROOT": str(media_root),
        "HITL_VAR_DIR": str(tmp_path / "var"),
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "INFERENCE_BACKEND": "tests.inference.faulty.FaultyDetector",
        "INFERENCE_JOB_TIMEOUT_SECONDS": str(TIMEOUT),
        "LOG_LEVEL": "WARNING",
    }
    with daphne_processes([port], env, tmp_path) as processes:
        yield port, processes[0][1]
    if os.environ.get("SHOW_SERVER_LOGS"):
        print((tmp_path / f"daphne-{port}.log").read_text())


def workers_of(pid: int) -> set[int]:
    """The spawned worker processes of `pid` (not multiprocessing's resource tracker)."""
    children = [c for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()]
    return {int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()}


async def replacement_of(worker: set[int], pid: int, timeout: float = 30) -> set[int]:
    async with asyncio.timeout(timeout):
        while not (current := workers_of(pid)) or not current.isdisjoint(worker):
            await asyncio.sleep(0.1)
    return current


def post_detect(port: int, image_id: int, prompt: str, token: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/images/{image_id}/detect/",
        data=json.dumps({"prompts": [prompt]}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.status == 202
        return json.loads(response.read())


def get_json(port: int, path: str, token: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Token {token}"})
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.loads(response.read())


async def messages_until_end(ws, job_id: int, timeout: float = 60) -> list[dict]:
    """This job's `detection.*` messages up to and including `done` or `failed`."""
    seen = []
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await ws.recv())
            job = message.get("job")
            if not message["type"].startswith("detection.") or (job if isinstance(job, int) else job["id"]) != job_id:
                continue
            seen.append(message)
            if message["type"] in ("detection.done", "detection.failed"):
                return seen


@pytest.mark.asyncio
async def test_a_crashing_or_hanging_detector_fails_its_job_and_the_server_keeps_serving(
    server, project, annotator
):
    port, daphne = server
    tiny = await database_sync_to_async(ImageFactory)(project=project, width=64, height=48)
    frame = await database_sync_to_async(ImageFactory)(project=project, width=640, height=480)
    cookie = await database_sync_to_async(session_cookie)(annotator)
    token = (await database_sync_to_async(Token.objects.create)(user=annotator)).key

    async def run(image, prompt) -> tuple[list[dict], DetectionJob]:
        async with connect(
            f"ws://127.0.0.1:{port}/ws/images/{image.pk}/", origin=f"http://127.0.0.1:{port}",
            additional_headers=[("Cookie", f"sessionid={cookie}")], proxy=None, open_timeout=20,
        ) as ws:
            job = await asyncio.to_thread(post_detect, port, image.pk, prompt, token)
            messages = await messages_until_end(ws, job["id"])
        return messages, await database_sync_to_async(DetectionJob.objects.get)(pk=job["id"])

    # The 64x48 `person` frame that once killed the server runs (on an upscaled copy) in the worker.
    messages, job = await run(tiny, "person")
    assert job.status == "done", job.error
    assert [m["type"] for m in messages] == ["detection.started", "detection.result", "detection.done"]
    worker = workers_of(daphne.pid)
    assert len(worker) == 1  # the spawned worker process, started by the first job
    # The status is the child's own report, relayed up its pipe: the web process built no detector.
    status = await asyncio.to_thread(get_json, port, "/api/inference/status/", token)
    assert (status["source"], status["backend"], status["execution"]) == ("worker", "faulty", "embedded")
    assert int(status["worker"].rsplit(":", 1)[1]) in worker

    # A native crash: retried once on a fresh worker, then failed with what happened.
    messages, job = await run(frame, "segfault")
    assert job.status == "failed" and job.attempts == 2
    assert "crashed on this frame (signal 11, SIGSEGV)" in job.error and job.error.endswith("Failed after 2 attempts.")
    assert [m["type"] for m in messages] == ["detection.started", "detection.started", "detection.failed"]
    assert messages[-1]["reason"] == job.error
    assert len(await replacement_of(worker, daphne.pid)) == 1

    messages, job = await run(frame, "person")
    assert job.status == "done", job.error

    # A hang: stopped at the timeout, failed (not retried: it would hang again), its worker replaced.
    worker = workers_of(daphne.pid)
    started = time.monotonic()
    messages, job = await run(frame, "hang")
    assert job.status == "failed" and job.attempts == 1
    assert f"longer than INFERENCE_JOB_TIMEOUT_SECONDS ({TIMEOUT} s)" in job.error
    assert messages[-1]["type"] == "detection.failed" and time.monotonic() - started >= TIMEOUT
    replaced = await replacement_of(worker, daphne.pid)  # started right after the failure went out
    assert len(replaced) == 1

    messages, job = await run(tiny, "person")
    assert job.status == "done", job.error
    assert daphne.poll() is None  # the web process never died: same process, same pid, still serving
