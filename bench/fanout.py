"""Live fan-out: 50 websocket viewers over 2 Daphne processes on Redis, one writer creating boxes.

    python bench/fanout.py [--seconds 20] [--viewers 50] [--rate 0] [--ports 8411 8412]
                           [--database postgres://postgres@127.0.0.1:5432/h_live_bench]
                           [--redis redis://127.0.0.1:6379/6] [--layer core|pubsub]

Creates (if missing) and migrates the benchmark database, seeds a project with one frame,
a writer and `--viewers` members, starts one Daphne per port (production settings:
DJANGO_DEBUG=0), connects the viewers round-robin over the ports with real session
cookies, then the writer POSTs boxes to the first process's REST API for `--seconds`
(back to back, or `--rate` per second).

Latency is measured per delivered `box.created`: receipt time minus the box's `updated_at`
(stamped by the server when the row is saved, just before the commit; same machine, same
clock). So it is an upper bound of commit → receipt, and needs no extra payload field. The
writer-side figure (request sent → receipt) is printed too; it adds the HTTP round trip.
"""

import argparse
import asyncio
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_P99_MS = 50


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--rate", type=float, default=0, help="boxes per second (0: back to back)")
    parser.add_argument("--ports", type=int, nargs="+", default=[8411, 8412])
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/h_live_bench")
    parser.add_argument(
        "--layer",
        choices=["core", "pubsub"],
        default="core",
        help="core: the app's channel layer (settings.py); pubsub: channels_redis.pubsub, for comparison",
    )
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/6")
    return parser.parse_args()


def prepare_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True, env=os.environ.copy()
    )


def seed(viewers: int):
    """A fresh project with one 1920x1080 frame, a label, a writer (token) and `viewers` sessions."""
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from annotations.models import Role
    from tests.factories import ImageFactory, LabelFactory, MembershipFactory, ProjectFactory, UserFactory

    project = ProjectFactory(name=f"fanout-{int(time.time())}")
    image = ImageFactory(project=project, width=1920, height=1080)
    label = LabelFactory(project=project, name="person")
    writer = UserFactory(username=f"writer-{project.pk}")
    MembershipFactory(project=project, user=writer, role=Role.ANNOTATOR)
    cookies = []
    for i in range(viewers):
        user = UserFactory(username=f"viewer-{project.pk}-{i}")
        MembershipFactory(project=project, user=user, role=Role.REVIEWER)
        client = Client()
        client.force_login(user)
        cookies.append(client.cookies["sessionid"].value)
    return image, label, Token.objects.create(user=writer).key, cookies


class Viewer:
    def __init__(self, port: int, image_id: int, cookie: str):
        self.port, self.image_id, self.cookie = port, image_id, cookie
        self.latencies: list[float] = []
        self.received: dict[int, float] = {}

    async def run(self, ready: asyncio.Event, stop: asyncio.Event, connected: list, total: int):
        from websockets.asyncio.client import connect

        async with connect(
            f"ws://127.0.0.1:{self.port}/ws/images/{self.image_id}/",
            origin=f"http://127.0.0.1:{self.port}",
            additional_headers=[("Cookie", f"sessionid={self.cookie}")],
            proxy=None,
            open_timeout=60,
            max_queue=None,
        ) as ws:
            connected.append(self)
            if len(connected) == total:
                ready.set()
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
                except asyncio.TimeoutError:
                    continue
                now = time.time()
                message = json.loads(raw)
                if message["type"] == "box.created":
                    stamped = datetime.fromisoformat(message["box"]["updated_at"]).timestamp()
                    self.latencies.append(now - stamped)
                    self.received[message["box"]["id"]] = now



def writer(port: int, image_id: int, label_id: int, token: str, seconds: float, rate: float, sent: dict, out: list):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}
    end, i = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        x = (i * 7) % 1800
        body = json.dumps({"label": label_id, "x_min": x, "y_min": 10, "x_max": x + 100, "y_max": 200})
        started = time.time()
        conn.request("POST", f"/api/images/{image_id}/boxes/", body, headers)
        response = conn.getresponse()
        payload = response.read()
        if response.status != 201:
            raise RuntimeError(f"create failed: {response.status} {payload[:300]!r}")
        sent[json.loads(payload)["id"]] = started
        i += 1
        if rate:
            time.sleep(max(0.0, started + 1 / rate - time.time()))
    out.append(i)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def measure(args, image, label, token, cookies):
    stop, ready, connected = asyncio.Event(), asyncio.Event(), []
    viewers = [Viewer(args.ports[i % len(args.ports)], image.pk, cookie) for i, cookie in enumerate(cookies)]
    tasks = [asyncio.create_task(v.run(ready, stop, connected, len(viewers))) for v in viewers]
    await asyncio.wait_for(ready.wait(), timeout=120)
    await asyncio.sleep(2)  # let the join/presence chatter settle
    sent, count = {}, []
    started = time.monotonic()
    await asyncio.to_thread(writer, args.ports[0], image.pk, label.pk, token, args.seconds, args.rate, sent, count)
    await asyncio.sleep(2)  # the last deliveries
    elapsed = time.monotonic() - started
    stop.set()
    await asyncio.gather(*tasks)
    return viewers, sent, count[0], elapsed


def report(args, viewers, sent, created, elapsed):
    latencies = [lat * 1000 for v in viewers for lat in v.latencies]
    end_to_end = [(t - sent[box]) * 1000 for v in viewers for box, t in v.received.items() if box in sent]
    expected = created * len(viewers)
    pace = "back to back" if not args.rate else f"{args.rate}/s"
    print(f"fan-out ({args.layer} layer): {len(viewers)} viewers on ports {args.ports},"
          f" {created} boxes in {args.seconds:.0f} s ({created / args.seconds:.1f} creates/s, {pace})")
    print(f"  delivered {len(latencies)} of {expected} box.created messages"
          f" ({len(latencies) / elapsed:.0f} messages/s over {elapsed:.1f} s)")
    if not latencies:
        return
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    verdict = "OK" if p99 < TARGET_P99_MS else "MISSED"
    print(f"  save/commit -> receipt: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(latencies):.1f} ms"
          f"   [target p99 < {TARGET_P99_MS} ms: {verdict}]")
    for port in args.ports:
        mine = [lat * 1000 for v in viewers if v.port == port for lat in v.latencies]
        print(f"    viewers on :{port}: p50 {percentile(mine, 50):.1f} ms, p99 {percentile(mine, 99):.1f} ms")
    print(f"  writer request sent -> receipt: p50 {percentile(end_to_end, 50):.1f} ms,"
          f" p99 {percentile(end_to_end, 99):.1f} ms (includes the HTTP request itself)")
    print(f"  mean {statistics.fmean(latencies):.1f} ms")


def main():
    args = parse_args()
    media = tempfile.mkdtemp(prefix="fanout-media-")
    os.environ.update(
        DATABASE_URL=args.database,
        REDIS_URL=args.redis,
        MEDIA_ROOT=media,
        DJANGO_SETTINGS_MODULE="hitl_project.settings",
        LOG_LEVEL="WARNING",
    )
    prepare_database(args.database)
    import django

    django.setup()
    from django.conf import settings

    # Seeding 50 users with the real password hasher takes longer than the benchmark; nobody logs in
    # with a password here (sessions and a token are minted directly), so a fast hasher is enough.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    from tests.live.daphne import daphne_processes

    image, label, token, cookies = seed(args.viewers)
    env = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_CONN_MAX_AGE": "60",
    }
    if args.layer == "pubsub":
        env["DJANGO_SETTINGS_MODULE"] = "bench.fanout_settings"
    with daphne_processes(args.ports, env, Path(media)):
        viewers, sent, created, elapsed = asyncio.run(measure(args, image, label, token, cookies))
    report(args, viewers, sent, created, elapsed)


if __name__ == "__main__":
    main()
