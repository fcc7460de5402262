"""Box create/update through the REST API under concurrent clients.

    python bench/api_boxes.py [--clients 8] [--seconds 20] [--url http://127.0.0.1:8101]

Without `--url` it creates (if missing) and migrates the PostgreSQL database given by
`--database-url`, starts a Daphne on port 8101 against it (`--servers N`: N of them on
8101, 8102…, clients spread over them, as behind a proxy), and stops them at the end. With
`--url` it uses that server, which must run on the same database (set-up rows are written
there through the ORM). Set-up: a fresh project, label, one annotator with an API token,
and one 1920x1080 frame per client (each client annotates its own frame, as a team does).
Each client keeps one HTTP/1.1 connection and loops: create a box, then move it three
times with PATCH carrying the version it got back. Prints requests/s and p50/p99 latency
next to the DESIGN.md target (>= 300 req/s, p99 < 100 ms, 8 clients).

req/s and latency depend on what else the machine runs; the CPU each request costs does much
less. So it also prints the CPU time per request of the started Daphne processes and of the
PostgreSQL backends serving the database (from /proc, over the timed run), and the load average.
"""

import argparse
import http.client
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RPS, TARGET_P99_MS = 300, 100


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--url", help="use this running server instead of starting Daphne")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--servers", type=int, default=1,
                        help="Daphne processes on consecutive ports from --port; clients alternate")  # fmt: skip
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/h_boxes_bench")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1"),
                        help="channel layer of the started Daphne; '' for the in-memory layer")  # fmt: skip
    parser.add_argument("--conn-max-age", default="60", help="DATABASE_CONN_MAX_AGE of the started Daphne")
    parser.add_argument("--pool-size", default="16", help="DATABASE_POOL_SIZE of the started Daphne; 0 for no pool")
    parser.add_argument("--debug", action="store_true",
                        help="start Daphne with DJANGO_DEBUG=1 (the default settings of a checkout) instead of as deployed")  # fmt: skip
    return parser.parse_args()


def database_ensure(database_url: str, *, fresh: bool = False) -> None:
    """Create the database if missing; `fresh` drops it first (a run from an empty install)."""
    import psycopg

    parts = urllib.parse.urlparse(database_url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def django_setup(database_url: str, media_root: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["MEDIA_ROOT"] = media_root
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hitl_project.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def fixtures_create(clients: int) -> tuple[str, list[int], int]:
    """A project, label, annotator + token and one frame per client; returns (token, image ids, label id)."""
    import hashlib

    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.core.management import call_command
    from PIL import Image as PILImage
    from rest_framework.authtoken.models import Token

    from annotations.models import Image, Label, Membership, Project, Role

    call_command("migrate", verbosity=0)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    user, _ = get_user_model().objects.get_or_create(username="bench-annotator")
    project = Project.objects.create(name=f"bench api_boxes {stamp}-{os.getpid()}")
    Membership.objects.create(project=project, user=user, role=Role.ANNOTATOR)
    label = Label.objects.create(project=project, name="person")
    token, _ = Token.objects.get_or_create(user=user)
    image_ids = []
    for index in range(clients):
        buffer = io.BytesIO()
        PILImage.new("RGB", (1920, 1080), (index, 40, 90)).save(buffer, format="PNG")
        content = buffer.getvalue()
        image = Image(project=project, format="PNG", sha256=hashlib.sha256(content).hexdigest(), width=1920,
                      height=1080, frame_index=index, original_name=f"bench{index}.png")  # fmt: skip
        image.file.save("frame.png", ContentFile(content), save=False)
        image.save()
        image_ids.append(image.pk)
    return token.key, image_ids, label.pk


def daphne_start(args, media_root: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DATABASE_CONN_MAX_AGE": args.conn_max_age,
        "DATABASE_POOL_SIZE": args.pool_size,
        "MEDIA_ROOT": media_root,
        "REDIS_URL": args.redis_url,
        "LOG_LEVEL": "WARNING",
        # As docker-compose.yml deploys it: DEBUG off (with it on, Django keeps every query of the
        # process and WhiteNoise re-scans the static files on each request).
        "DJANGO_DEBUG": "1" if args.debug else "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
    }
    daphne = str(Path(sys.executable).with_name("daphne"))
    process = subprocess.Popen(
        [daphne, "-b", "127.0.0.1", "-p", str(port), "-v", "0", "hitl_project.asgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"Daphne exited: {process.stderr.read().decode()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("Daphne did not start within 30 s")


class Client(threading.Thread):
    def __init__(self, *, host, port, token, image_id, label_id, stop_at):
        super().__init__(daemon=True)
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.image_id, self.label_id, self.stop_at = image_id, label_id, stop_at
        self.latencies: list[float] = []
        self.errors: dict[int, int] = {}

    def request(self, method, path, body):
        started = time.perf_counter()
        self.conn.request(method, path, json.dumps(body), self.headers)
        response = self.conn.getresponse()
        data = response.read()
        self.latencies.append(time.perf_counter() - started)
        if response.status >= 300:
            self.errors[response.status] = self.errors.get(response.status, 0) + 1
            return None
        return json.loads(data)

    def run(self):
        n = 0
        while time.monotonic() < self.stop_at:
            x, y = (n * 37) % 1700, (n * 53) % 900
            body = {"label": self.label_id, "x_min": x, "y_min": y, "x_max": x + 100, "y_max": y + 80}
            box = self.request("POST", f"/api/images/{self.image_id}/boxes/", body)
            for step in range(1, 4):
                if box is None or time.monotonic() >= self.stop_at:
                    break
                box = self.request("PATCH", f"/api/boxes/{box['id']}/",
                                   {"version": box["version"], "x_min": x + step, "x_max": x + 100 + step})  # fmt: skip
            n += 1


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_backends(database_url: str) -> list[int]:
    """Process ids of the PostgreSQL backends connected to the bench's database (local server only)."""
    import psycopg

    name = urllib.parse.urlparse(database_url).path.lstrip("/")
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                            [name]).fetchall()  # fmt: skip
    return [pid for (pid,) in rows]


def cpu_snapshot(processes, database_url: str) -> dict:
    return {
        "daphne": {p.pid: cpu_seconds(p.pid) for p in processes},
        "postgres": {pid: cpu_seconds(pid) for pid in database_backends(database_url)},
    }


def cpu_used(before: dict, after: dict, kind: str) -> float:
    """CPU seconds `kind`'s processes spent between the snapshots (a backend opened meanwhile counts from 0)."""
    return sum(seconds - before[kind].get(pid, 0.0) for pid, seconds in after[kind].items())


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main():
    args = parse_args()
    media_root = tempfile.mkdtemp(prefix="bench-media-")
    database_ensure(args.database_url)
    django_setup(args.database_url, media_root)
    token, image_ids, label_id = fixtures_create(args.clients)
    ports = range(args.port, args.port + (1 if args.url else args.servers))
    processes = [] if args.url else [daphne_start(args, media_root, port) for port in ports]
    url = urllib.parse.urlparse(args.url or f"http://127.0.0.1:{args.port}")
    hosts = [(url.hostname, url.port)] if args.url else [("127.0.0.1", port) for port in ports]
    try:
        # Warm-up: open connections, import lazily loaded code, fill connection pools.
        for host, port in hosts:
            Client(host=host, port=port, token=token, image_id=image_ids[0], label_id=label_id,
                   stop_at=time.monotonic() + 1.0).run()  # fmt: skip
        stop_at = time.monotonic() + args.seconds
        clients = [
            Client(host=hosts[i % len(hosts)][0], port=hosts[i % len(hosts)][1], token=token, image_id=image_id,
                   label_id=label_id, stop_at=stop_at)  # fmt: skip
            for i, image_id in enumerate(image_ids)
        ]
        cpu_before = cpu_snapshot(processes, args.database_url)
        started = time.monotonic()
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        elapsed = time.monotonic() - started
        cpu_after = cpu_snapshot(processes, args.database_url)
        load = os.getloadavg()
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
    latencies = [lat for c in clients for lat in c.latencies]
    errors = {}
    for client in clients:
        for code, count in client.errors.items():
            errors[code] = errors.get(code, 0) + count
    rps = len(latencies) / elapsed
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    print(f"api_boxes: {args.clients} clients, {elapsed:.1f} s, {len(latencies)} requests "
          f"(box create + PATCH), errors: {errors or 'none'}")  # fmt: skip
    print(f"  throughput  {rps:8.1f} req/s    target >= {TARGET_RPS} req/s   {'OK' if rps >= TARGET_RPS else 'MISSED'}")
    print(f"  latency p50 {p50:8.1f} ms")
    print(f"  latency p99 {p99:8.1f} ms       target <  {TARGET_P99_MS} ms      "
          f"{'OK' if p99 < TARGET_P99_MS else 'MISSED'}")  # fmt: skip
    print(f"  mean {statistics.fmean(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms; "
          f"server: {f'{len(processes)} Daphne started on :{args.port}+' if processes else args.url}, "
          f"DATABASE_POOL_SIZE={args.pool_size} (CONN_MAX_AGE={args.conn_max_age} without a pool), "
          f"DJANGO_DEBUG={'1' if args.debug else '0'}, "
          f"channel layer: {'redis' if args.redis_url else 'in-memory'}")  # fmt: skip
    if processes:
        print(f"  CPU per request: Daphne {cpu_used(cpu_before, cpu_after, 'daphne') / len(latencies) * 1000:.2f} ms, "
              f"PostgreSQL {cpu_used(cpu_before, cpu_after, 'postgres') / len(latencies) * 1000:.2f} ms")  # fmt: skip
    print(f"  load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"({os.cpu_count()} CPUs; other work on the machine lowers req/s, less the CPU per request)")


if __name__ == "__main__":
    main()
