"""Uploading 1,000 frames through `POST /api/projects/{id}/images/`, the way the browser does.

    python bench/upload.py [--frames 1000] [--size 640x480] [--database-url postgres://…/h_upload_bench]

Starts a Daphne on a fresh project (database created and migrated if missing; media in a
temporary folder) and uploads the same frames twice:

1. **zip** — one zip of every frame (noise JPEGs, ~200 kB each, so ~200 MB), sent as the upload
   panel sends a file over 8 MB: in 4 MB chunks (`pages/upload_chunked.js`: open, PUT each chunk,
   complete). `--zip-one-request` sends it in one request instead (before chunking: 1,000 frames,
   177 MB → 2,456 MB peak web RSS, since Daphne buffers the whole body);
2. **files** — the frames as single files, in the requests the upload panel plans
   (`pages/upload_plan.js`: at most 16 files and 8 MB per request).

For each: wall time, requests made, frames stored, and the web process's peak RSS during the
upload (sampled every 20 ms) next to its RSS before. The issue asks that no request hold the
whole batch in memory; DESIGN.md has no target for uploads, so the figures stand alone.
"""

import argparse
import io
import os
import random
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_boxes import daphne_start, database_ensure, django_setup  # noqa: E402  (bench/ is not a package)

MAX_FILES, MAX_BYTES = 16, 8 * 1024 * 1024  # the browser's plan (frontend/static/frontend/pages/upload_plan.js)
CHUNK_BYTES = 4 * 1024 * 1024  # pages/upload_chunked.js


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--size", default="640x480", help="frame size; noise JPEGs of 640x480 are ~200 kB")
    parser.add_argument("--port", type=int, default=8121)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/h_upload_bench")
    parser.add_argument("--redis-url", default="", help="channel layer of the started Daphne; '' for in-memory")
    parser.add_argument("--conn-max-age", default="60")
    parser.add_argument("--pool-size", default="0")
    parser.add_argument("--zip-one-request", action="store_true", help="the zip in one request, as before chunking")
    return parser.parse_args()


def frames_make(count: int, size: str, folder: Path) -> list[Path]:
    """Noise JPEGs (they do not compress: the zip is as big as the frames)."""
    from PIL import Image as PILImage

    width, height = (int(v) for v in size.split("x"))
    paths = []
    for i in range(count):
        path = folder / f"frame{i + 1}.jpg"
        if not path.exists():  # seeded per frame: the same frame whatever --frames was before
            noise = random.Random(i).randbytes(width * height * 3)
            PILImage.frombytes("RGB", (width, height), noise).save(path, quality=75)
        paths.append(path)
    return paths


def project_create(stamp: str):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from annotations.models import Membership, Project, Role

    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench-uploader")
    token, _ = Token.objects.get_or_create(user=user)
    projects = []
    for kind in ("zip", "files"):
        project = Project.objects.create(name=f"bench upload {kind} {stamp}-{os.getpid()}")
        Membership.objects.create(project=project, user=user, role=Role.MANAGER)
        projects.append(project.pk)
    return token.key, projects


class PeakRss(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        import psutil

        self.process = psutil.Process(pid)
        self.before = self.peak = self.process.memory_info().rss
        self.running = True

    def run(self):
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.02)

    def stop(self):
        self.running = False
        self.join()
        return self.before, self.peak


def chunks(paths: list[Path]) -> list[list[Path]]:
    out, current, size = [], [], 0
    for path in paths:
        n = path.stat().st_size
        if current and (len(current) >= MAX_FILES or size + n > MAX_BYTES):
            out.append(current)
            current, size = [], 0
        current.append(path)
        size += n
    return out + ([current] if current else [])


def upload_chunked(session, base: str, path: Path, pid: int) -> dict:
    """One file as the browser sends a large one: open, PUT 4 MB chunks at their offsets, complete."""
    sampler = PeakRss(pid)
    sampler.start()
    started = time.perf_counter()
    size = path.stat().st_size
    opened = session.post(f"{base}uploads/", json={"name": path.name, "size": size})
    opened.raise_for_status()
    upload_id, step = opened.json()["upload_id"], min(CHUNK_BYTES, opened.json()["chunk_size"])
    requests_made = 1
    with path.open("rb") as stream:
        for offset in range(0, size, step):
            chunk = session.put(
                f"{base}uploads/{upload_id}/chunks/?offset={offset}", data=stream.read(step),
                headers={"Content-Type": "application/octet-stream"},
            )
            requests_made += 1
            if chunk.status_code != 200:
                raise SystemExit(f"{chunk.status_code}: {chunk.text[:500]}")
    response = session.post(f"{base}uploads/{upload_id}/complete/", json={})
    requests_made += 1
    if response.status_code != 201:
        raise SystemExit(f"{response.status_code}: {response.text[:500]}")
    elapsed = time.perf_counter() - started
    before, peak = sampler.stop()
    stored = len(response.json()["images"])
    return {"seconds": elapsed, "requests": requests_made, "stored": stored, "rss_before": before, "rss_peak": peak}


def upload(session, url: str, batches: list[list[Path]], pid: int) -> dict:
    sampler = PeakRss(pid)
    sampler.start()
    started = time.perf_counter()
    stored = requests_made = 0
    for batch in batches:
        handles = [path.open("rb") for path in batch]
        try:
            response = session.post(url, files=[("file", (p.name, h, "application/octet-stream")) for p, h in zip(batch, handles)])
        finally:
            for handle in handles:
                handle.close()
        requests_made += 1
        if response.status_code != 201:
            raise SystemExit(f"{response.status_code}: {response.text[:500]}")
        stored += len(response.json()["images"])
    elapsed = time.perf_counter() - started
    before, peak = sampler.stop()
    return {"seconds": elapsed, "requests": requests_made, "stored": stored, "rss_before": before, "rss_peak": peak}


def main():
    import requests

    args = parse_args()
    media_root = tempfile.mkdtemp(prefix="bench-upload-media-")
    frames_dir = Path(tempfile.gettempdir()) / f"bench-upload-frames-{args.size}"
    frames_dir.mkdir(exist_ok=True)
    database_ensure(args.database_url)
    django_setup(args.database_url, media_root)
    token, (zip_project, files_project) = project_create(time.strftime("%Y%m%d-%H%M%S"))
    paths = frames_make(args.frames, args.size, frames_dir)
    archive = frames_dir / f"frames-{args.frames}.zip"
    if not archive.exists():
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
            for path in reversed(paths):  # out of order on purpose: the server sorts naturally
                out.write(path, path.name)
    total = sum(p.stat().st_size for p in paths)
    os.environ["UPLOAD_PARTIAL_DIR"] = f"{media_root}-partial"  # the started Daphne assembles chunks there
    process = daphne_start(args, media_root, args.port)
    base = f"http://127.0.0.1:{args.port}/api/projects"
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        session.get(f"{base}/{zip_project}/").raise_for_status()  # warm-up
        results = {
            "zip": (
                upload(session, f"{base}/{zip_project}/images/", [[archive]], process.pid)
                if args.zip_one_request
                else upload_chunked(session, f"{base}/{zip_project}/", archive, process.pid)
            ),
            "files": upload(session, f"{base}/{files_project}/images/", chunks(paths), process.pid),
        }
    finally:
        process.terminate()
        process.wait(timeout=10)
    mb = 1024 * 1024
    print(f"{args.frames} frames of {args.size}, {total / mb:.0f} MB of JPEG; zip {archive.stat().st_size / mb:.0f} MB")
    for kind, r in results.items():
        print(
            f"{kind:5}  {r['seconds']:6.1f} s  {r['requests']:4} requests  {r['stored']:5} frames stored  "
            f"web RSS {r['rss_before'] / mb:.0f} MB before, peak {r['rss_peak'] / mb:.0f} MB "
            f"(+{(r['rss_peak'] - r['rss_before']) / mb:.0f} MB)"
        )
    print("no DESIGN.md target for uploads; the issue: no request holds the whole batch in memory")


if __name__ == "__main__":
    main()
