"""Dataset export at scale: COCO and YOLO of generated projects on PostgreSQL.

    python bench/export.py [--database-url postgres://postgres@127.0.0.1:5432/h_mlops_bench]
                           [--sizes 10000:100000,100000:1000000] [--formats coco,yolo]

Creates (if missing) and migrates the database, then generates each project once with
COPY (frames without image files, 10 boxes per frame over 5 labels; reused on later runs).
Every export runs in a fresh subprocess through the real `dataset_export` service (rows,
DatasetVersion, outbox entry; `--no-images`), so its peak RSS (VmHWM) is the export's own,
Django included. Prints wall time, peak RSS and query count next to the DESIGN.md targets:
10k frames / 100k boxes <= 1 s; 100k / 1M <= 10 s with peak RSS < 200 MB.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGETS = {(10_000, 100_000): (1.0, None), (100_000, 1_000_000): (10.0, 200.0)}
LABELS = ["person", "car", "bicycle", "dog", "traffic light"]


def django_setup(database_url: str):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hitl_project.settings")
    os.environ.setdefault("MLFLOW_TRACKING_URI", "http://127.0.0.1:8519")  # never contacted: enqueue only
    import django

    django.setup()


def database_ensure(database_url: str):
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True,
                   env={**os.environ, "DATABASE_URL": database_url})


def project_generate(frames: int, boxes: int) -> int:
    """The project `bench-<frames>-<boxes>`, generated with COPY unless it exists."""
    from django.db import connection

    from annotations.models import Box, Image, Label, Project

    name = f"bench-{frames}-{boxes}"
    project = Project.objects.filter(name=name).first()
    if project and Image.objects.filter(project=project).count() == frames:
        if Box.objects.filter(image__project=project).count() == boxes:
            return project.pk
    if project:
        project.delete()
    started = time.perf_counter()
    project = Project.objects.create(name=name)
    labels = [Label.objects.create(project=project, name=n).pk for n in LABELS]
    rng = random.Random(7)
    raw = connection.connection if connection.connection else (connection.ensure_connection() or connection.connection)
    with raw.cursor() as cur:
        with cur.copy("COPY annotations_image (project_id, file, original_name, format, sha256, width, height, "
                      "frame_index, status, metadata, review_comment, created_at, updated_at) FROM STDIN") as copy:
            for i in range(frames):
                sha = f"{i:064x}"
                copy.write_row((project.pk, f"projects/{project.pk}/{sha[:2]}/{sha}.jpg", f"frame{i}.jpg", "JPEG",
                                sha, 1920, 1080, i, "approved", "{}", "", "now", "now"))
        cur.execute("SELECT id FROM annotations_image WHERE project_id = %s ORDER BY frame_index", [project.pk])
        image_ids = [row[0] for row in cur.fetchall()]
        per_frame = boxes // frames
        with cur.copy("COPY annotations_box (image_id, label_id, x_min, y_min, x_max, y_max, source, version, "
                      "deleted, created_at, updated_at) FROM STDIN") as copy:
            for image_id in image_ids:
                for _ in range(per_frame):
                    x, y = rng.uniform(0, 1800), rng.uniform(0, 1000)
                    copy.write_row((image_id, rng.choice(labels), x, y, x + rng.uniform(5, 120),
                                    y + rng.uniform(5, 80), "human", 1, False, "now", "now"))
    raw.commit()
    with connection.cursor() as cur:
        cur.execute("ANALYZE annotations_image; ANALYZE annotations_box")
    print(f"  generated {name} in {time.perf_counter() - started:.1f} s", flush=True)
    return project.pk


def export_once(project_id: int, fmt: str) -> dict:
    """One export in this (fresh) process: wall time, peak RSS, queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from annotations.exports.service import dataset_export
    from annotations.models import Project

    project = Project.objects.get(pk=project_id)
    rss_before = _vm("VmRSS")
    with tempfile.TemporaryDirectory(prefix="bench-export-") as out, CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        dataset = dataset_export(project=project, format=fmt, only="all", out=Path(out) / fmt, copy_images=False)
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in (Path(out) / fmt).rglob("*") if p.is_file())
    return {"seconds": seconds, "peak_mb": _vm("VmHWM") / 1024, "start_mb": rss_before / 1024,
            "queries": len(queries), "images": dataset.counts["images"], "boxes": dataset.counts["boxes"],
            "bytes": size}


def _vm(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/h_mlops_bench")
    parser.add_argument("--sizes", default="10000:100000,100000:1000000")
    parser.add_argument("--formats", default="coco,yolo")
    parser.add_argument("--child", nargs=2, metavar=("PROJECT_ID", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        django_setup(args.database_url)
        print(json.dumps(export_once(int(args.child[0]), args.child[1])))
        return
    database_ensure(args.database_url)
    django_setup(args.database_url)
    print(f"{'export':<22}{'wall s':>9}{'peak RSS MB':>13}{'queries':>9}{'output MB':>11}   target")
    for size in args.sizes.split(","):
        frames, boxes = (int(v) for v in size.split(":"))
        project_id = project_generate(frames, boxes)
        for fmt in args.formats.split(","):
            done = subprocess.run([sys.executable, __file__, "--database-url", args.database_url, "--child",
                                   str(project_id), fmt], capture_output=True, text=True, cwd=ROOT)
            if done.returncode:
                print(done.stderr[-3000:])
                raise SystemExit(done.returncode)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            seconds_target, rss_target = TARGETS.get((frames, boxes), (None, None))
            target = ""
            if fmt == "coco" and seconds_target:
                ok = r["seconds"] <= seconds_target and (rss_target is None or r["peak_mb"] < rss_target)
                target = f"<= {seconds_target:g} s" + (f", RSS < {rss_target:g} MB" if rss_target else "")
                target += "  OK" if ok else "  MISSED"
            label = f"{fmt} {frames // 1000}k/{boxes // 1000}k"
            print(f"{label:<22}{r['seconds']:>9.2f}{r['peak_mb']:>13.0f}{r['queries']:>9}{r['bytes'] / 1e6:>11.1f}"
                  f"   {target}  (process at start: {r['start_mb']:.0f} MB; {r['images']} images, {r['boxes']} boxes)",
                  flush=True)


if __name__ == "__main__":
    main()
