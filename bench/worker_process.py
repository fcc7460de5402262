"""Benchmark: detection in the embedded worker process (issue 11) — crashes, restarts, latency, memory.

    python bench/worker_process.py [--database postgres://postgres@127.0.0.1:5432/h_worker_bench]
                                   [--prompts 10] [--megapixels 80] [--team-redis redis://…/N]

Starts a real Daphne without Redis (the embedded default: it supervises one spawned worker)
on a fresh bench database and talks to it as the browser does (REST + websocket). Prints:

- worker start: the first job's cold start, and each restart after a crash, from the server's
  own log ("Started the detector process … in N s");
- crash → `detection.failed` at a websocket client: from the moment the test-only detector
  kills its process with SIGSEGV (it stamps the time first) to the message's arrival;
- latency per prompt for OpenCV (and the moondream stand-in of the tests): in this process
  on the bare detector (what the web process used to run itself), and through the worker
  process — started → last `detection.result` at the websocket, divided by the prompts;
- with `--team-redis`, the same crash figures for a `runworker inference` (its supervised child
  crashes; the runworker keeps its pid) and the status endpoint's answer time;
- peak RSS (VmHWM) of the web process and of the worker after an N-megapixel `person` job
  (before the move, one process: 639 MB).
"""

import argparse
import asyncio
import io
import json
import os
import re
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.detect import OPENCV_PROMPTS, TINY_PROMPTS, ensure_database  # noqa: E402  (needs REPO on the path)


def setup(database: str, media: Path) -> None:
    os.environ.update(DATABASE_URL=database, REDIS_URL="", MEDIA_ROOT=str(media), LOG_LEVEL="WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hitl_project.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def png(picture) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def fixtures(megapixels: float):
    from PIL import Image as PILImage
    from rest_framework.authtoken.models import Token
    from skimage import data

    from tests.factories import ImageFactory, MembershipFactory, ProjectFactory, UserFactory
    from tests.live.helpers import session_cookie

    project = ProjectFactory(name=f"bench-worker-{time.time_ns()}")
    user = UserFactory(username=f"bench-worker-{time.time_ns()}")
    MembershipFactory(project=project, user=user, role="manager")
    astronaut = PILImage.fromarray(data.astronaut())
    frames = {"astronaut": ImageFactory(project=project, width=512, height=512, content=png(astronaut))}
    frames["plain"] = ImageFactory(project=project, width=640, height=480)
    if megapixels:
        width = int((megapixels * 1e6 * 4 / 3) ** 0.5)
        height = int(megapixels * 1e6 / width)
        big = astronaut.resize((width, height))
        frames["big"] = ImageFactory(project=project, width=width, height=height, content=png(big))
    return frames, Token.objects.create(user=user).key, session_cookie(user), astronaut


class Server:
    def __init__(self, env: dict, folder: Path):
        from django.conf import settings
        from django.db import connection

        from tests.live.daphne import daphne_processes, database_url, free_ports

        (self.port,) = free_ports(1)
        self.log = folder / f"daphne-{self.port}.log"
        self._context = daphne_processes([self.port], {
            "DATABASE_URL": database_url(connection.settings_dict), "REDIS_URL": "", "LOG_LEVEL": "INFO",
            "DJANGO_SECRET_KEY": settings.SECRET_KEY, "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "HITL_VAR_DIR": str(folder / "var"), "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}", **env,
        }, folder)

    def __enter__(self):
        self.pid = self._context.__enter__()[0][1].pid
        return self

    def __exit__(self, *exc):
        return self._context.__exit__(*exc)

    def starts(self) -> list[float]:
        return [float(s) for s in re.findall(r"Started the detector process \d+ in ([\d.]+) s", self.log.read_text())]

    def worker_pid(self) -> int | None:
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                    return int(child)
        return None

    def detect(self, image_id: int, prompts: list[str], token: str) -> dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/images/{image_id}/detect/", data=json.dumps({"prompts": prompts}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Token {token}"}, method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    async def job(self, image_id: int, prompts: list[str], token: str, cookie: str) -> list[tuple[float, dict]]:
        """(arrival time.time(), message) of each `detection.*` message of one job, up to its end."""
        from websockets.asyncio.client import connect

        async with connect(f"ws://127.0.0.1:{self.port}/ws/images/{image_id}/", origin=f"http://127.0.0.1:{self.port}",
                           additional_headers=[("Cookie", f"sessionid={cookie}")], proxy=None, open_timeout=30) as ws:
            job = await asyncio.to_thread(self.detect, image_id, prompts, token)
            seen = []
            async with asyncio.timeout(600):
                while True:
                    message = json.loads(await ws.recv())
                    if not message["type"].startswith("detection."):
                        continue
                    seen.append((time.time(), message))
                    ended = message["type"] in ("detection.done", "detection.failed")
                    if ended and message["job"]["id"] == job["id"]:
                        return seen


def per_prompt(messages) -> float:
    started = next(t for t, m in messages if m["type"] == "detection.started")
    results = [t for t, m in messages if m["type"] == "detection.result"]
    return (results[-1] - started) / len(results)


def bare_per_prompt(detector, picture, prompts, repeat=3) -> float:
    list(detector.detect(picture, prompts))  # warm-up: cascades, the model
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        list(detector.detect(picture, prompts))
        best = min(best, time.perf_counter() - started)
    return best / len(prompts)


def vm_hwm_mb(pid: int) -> float:
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmHWM"))
    return int(line.split()[1]) / 1024


async def opencv_figures(folder: Path, frames, token, cookie, astronaut, prompts) -> None:
    from inference.detectors.opencv import OpenCVDetector

    stamp = folder / "crash-stamp"
    env = {"INFERENCE_BACKEND": "tests.inference.faulty.FaultyDetector", "INFERENCE_JOB_MAX_ATTEMPTS": "1",
           "FAULTY_CRASH_STAMP": str(stamp)}
    with Server(env, folder) as server:
        await server.job(frames["plain"].pk, ["face"], token, cookie)
        print(f"worker cold start (first job)      {server.starts()[0]:.2f} s")
        latencies = []
        for _ in range(3):
            latencies.append(per_prompt(await server.job(frames["astronaut"].pk, prompts, token, cookie)))
        bare = bare_per_prompt(OpenCVDetector(), astronaut, prompts)
        print(f"opencv per prompt, {len(prompts)} prompts, 512x512: bare in-process {bare * 1000:.1f} ms, "
              f"through the worker {min(latencies) * 1000:.1f} ms (best of 3)")
        crashes = []
        for _ in range(3):
            messages = await server.job(frames["plain"].pk, ["segfault"], token, cookie)
            failed = next(t for t, m in messages if m["type"] == "detection.failed")
            crashes.append(failed - float(stamp.read_text()))
            await server.job(frames["plain"].pk, ["face"], token, cookie)  # the replacement is up before the next
        print(f"crash → detection.failed at a websocket: {', '.join(f'{c * 1000:.0f}' for c in crashes)} ms")
        print(f"worker restart after a crash        {', '.join(f'{s:.2f}' for s in server.starts()[1:])} s")
        if "big" in frames:
            big = frames["big"]
            messages = await server.job(big.pk, ["person"], token, cookie)
            assert messages[-1][1]["type"] == "detection.done", messages[-1][1]
            print(f"{big.width}x{big.height} ({big.width * big.height / 1e6:.0f} MP) person: peak RSS web "
                  f"{vm_hwm_mb(server.pid):.0f} MB, worker {vm_hwm_mb(server.worker_pid()):.0f} MB "
                  f"(before, one process: 639 MB)")


def status_ms(port: int, token: str, repeat: int = 20) -> float:
    """Median GET /api/inference/status/: answered from the worker's report, no detector built."""
    times = []
    for _ in range(repeat):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/inference/status/",
                                         headers={"Authorization": f"Token {token}"})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2] * 1000


async def team_figures(folder: Path, frames, token, cookie, redis: str) -> None:
    """Team mode: a Daphne on Redis and a `runworker inference` whose supervised child crashes."""
    import subprocess

    from django.db import connection

    from tests.live.daphne import database_url

    stamp = folder / "team-crash-stamp"
    env = {"INFERENCE_BACKEND": "tests.inference.faulty.FaultyDetector", "INFERENCE_JOB_MAX_ATTEMPTS": "1",
           "FAULTY_CRASH_STAMP": str(stamp), "REDIS_URL": redis}
    log = folder / "runworker.log"
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "runworker", "inference"], cwd=REPO, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        env={**os.environ, **env, "DATABASE_URL": database_url(connection.settings_dict), "LOG_LEVEL": "INFO"},
    )
    try:
        with Server(env, folder) as server:
            await server.job(frames["plain"].pk, ["face"], token, cookie)
            print(f"team: status answer (median of 20)  {status_ms(server.port, token):.1f} ms")
            crashes = []
            for _ in range(3):
                messages = await server.job(frames["plain"].pk, ["segfault"], token, cookie)
                arrived, failed = next((t, m) for t, m in messages if m["type"] == "detection.failed")
                crashes.append(arrived - float(stamp.read_text()))
                await server.job(frames["plain"].pk, ["face"], token, cookie)
            print(f"team: crash → detection.failed     {', '.join(f'{c * 1000:.0f}' for c in crashes)} ms "
                  f"({failed['reason']})")
            starts = [float(x) for x in re.findall(r"Started the detector process \d+ in ([\d.]+) s", log.read_text())]
            print(f"team: child start, then restarts   {', '.join(f'{x:.2f}' for x in starts)} s; "
                  f"runworker pid {worker.pid} alive: {worker.poll() is None}")
    finally:
        worker.terminate()
        worker.wait(timeout=30)


async def tiny_figures(folder: Path, frames, token, cookie, astronaut, prompts) -> None:
    """The moondream backend on the tests' stand-in model (the published structure, tiny weights)."""
    from inference.detectors.moondream import MoondreamDetector
    from tests.inference.moondream_standin import build_standin

    answers = {p: [[0.1 * i, 0.1, 0.1 * i + 0.2, 0.5] for i in range(3)] for p in prompts}
    model, _ = build_standin(folder / "moondream-standin", folder / "hf-home" / "hub", answers=answers)
    tiny = MoondreamDetector(model=str(model), device="cpu")
    tiny.load()
    bare = bare_per_prompt(tiny, astronaut, prompts)
    env = {"INFERENCE_BACKEND": "moondream", "MOONDREAM_MODEL": str(model), "MOONDREAM_DEVICE": "cpu"}
    with Server(env, folder) as server:
        await server.job(frames["plain"].pk, prompts[:1], token, cookie)  # loads the model
        best = min([per_prompt(await server.job(frames["astronaut"].pk, prompts, token, cookie)) for _ in range(3)])
    print(f"moondream stand-in per prompt, {len(prompts)} prompts: bare in-process {bare * 1000:.2f} ms, "
          f"through the worker {best * 1000:.2f} ms (best of 3)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/h_worker_bench")
    parser.add_argument("--prompts", type=int, default=10)
    parser.add_argument("--megapixels", type=float, default=80)
    parser.add_argument("--skip-tiny", action="store_true")
    parser.add_argument("--team-redis", help="also measure team mode: a runworker on this Redis (e.g. redis://127.0.0.1:6379/9)")
    args = parser.parse_args()
    ensure_database(args.database)
    with tempfile.TemporaryDirectory(prefix="bench-worker-") as tmp:
        folder = Path(tmp)
        os.environ.update(HF_HUB_OFFLINE="1", HF_HOME=str(folder / "hf-home"))  # before huggingface_hub loads
        setup(args.database, folder / "media")
        frames, token, cookie, astronaut = fixtures(args.megapixels)
        if args.team_redis:
            asyncio.run(team_figures(folder, frames, token, cookie, args.team_redis))
        asyncio.run(opencv_figures(folder, frames, token, cookie, astronaut, OPENCV_PROMPTS[: args.prompts]))
        if not args.skip_tiny:
            asyncio.run(tiny_figures(folder, frames, token, cookie, astronaut.convert("RGB"), TINY_PROMPTS[: args.prompts]))


if __name__ == "__main__":
    main()
