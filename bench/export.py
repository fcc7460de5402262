"""Dataset export at scale: COCO, YOLO and MOT of generated projects on PostgreSQL.

    python bench/export.py [--database-url postgres://postgres@127.0.0.1:5432/h_mlops_bench]
                           [--sizes 10000:100000,100000:1000000] [--formats coco,yolo] [--tracks]

Creates (if missing) and migrates the database, then generates each project once with
COPY (frames without image files, 10 boxes per frame over 5 labels; reused on later runs).
With `--tracks` (formats default to coco,mot) the frames form sequences of 100 and every box
belongs to a track (one box per track per frame, a keyframe every 10th frame, interpolated
boxes between), so the exports join tracks and sequences into their cursors.
Every export runs in a fresh subprocess through the real `dataset_export` service (rows,
DatasetVersion, outbox entry; `--no-images`), so its peak RSS (VmHWM) is the export's own,
Django included. Prints wall time, the process's CPU time, peak RSS and query count next to the
DESIGN.md targets:
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
SEQUENCE_FRAMES = 100
KEYFRAME_EVERY = 10


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


def project_generate(frames: int, boxes: int, tracks: bool = False) -> int:
    """The project `bench-[tracks-]<frames>-<boxes>`, generated with COPY unless it exists."""
    from django.db import connection

    from annotations.models import Box, Image, Label, Project

    name = f"bench-{'tracks-' if tracks else ''}{frames}-{boxes}"
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
    per_frame = boxes // frames
    raw = connection.connection if connection.connection else (connection.ensure_connection() or connection.connection)
    with raw.cursor() as cur:
        sequence_ids, track_ids = _sequences_and_tracks(cur, project.pk, labels, frames, per_frame, rng, tracks)
        with cur.copy("COPY annotations_image (project_id, file, original_name, format, sha256, width, height, "
                      "frame_index, sequence_id, status, metadata, review_comment, created_at, updated_at) "
                      "FROM STDIN") as copy:
            for i in range(frames):
                sha = f"{i:064x}"
                sequence_id = sequence_ids[i // SEQUENCE_FRAMES] if tracks else None
                copy.write_row((project.pk, f"projects/{project.pk}/{sha[:2]}/{sha}.jpg", f"frame{i}.jpg", "JPEG",
                                sha, 1920, 1080, i, sequence_id, "approved", "{}", "", "now", "now"))
        cur.execute("SELECT id FROM annotations_image WHERE project_id = %s ORDER BY frame_index", [project.pk])
        image_ids = [row[0] for row in cur.fetchall()]
        with cur.copy("COPY annotations_box (image_id, label_id, x_min, y_min, x_max, y_max, source, track_id, "
                      "keyframe, version, deleted, created_at, updated_at) FROM STDIN") as copy:
            for i, image_id in enumerate(image_ids):
                for j in range(per_frame):
                    if tracks:  # object j of the sequence drifts right; keyframes every KEYFRAME_EVERY frames
                        track_id, label_id = track_ids[(i // SEQUENCE_FRAMES) * per_frame + j]
                        t, keyframe = i % SEQUENCE_FRAMES, i % KEYFRAME_EVERY == 0
                        x, y, w, h = 10 + 5 * t + 3 * j, 90 * j + 5, 60, 80
                        row = (x, y, x + w, y + h, "human" if keyframe else "interpolated", track_id, keyframe)
                    else:
                        label_id, x, y = rng.choice(labels), rng.uniform(0, 1800), rng.uniform(0, 1000)
                        row = (x, y, x + rng.uniform(5, 120), y + rng.uniform(5, 80), "human", None, True)
                    copy.write_row((image_id, label_id, *row, 1, False, "now", "now"))
    raw.commit()
    with connection.cursor() as cur:
        cur.execute("ANALYZE annotations_image; ANALYZE annotations_box; ANALYZE annotations_track")
    print(f"  generated {name} in {time.perf_counter() - started:.1f} s", flush=True)
    return project.pk


def _sequences_and_tracks(cur, project_id, labels, frames, per_frame, rng, tracks) -> tuple[list, list]:
    """Sequence ids, and (track id, label id) per (sequence, object), when the project has tracks."""
    if not tracks:
        return [], []
    sequence_ids, track_ids = [], []
    for k in range(-(-frames // SEQUENCE_FRAMES)):
        cur.execute("INSERT INTO annotations_sequence (project_id, name, created_at) VALUES (%s, %s, now()) "
                    "RETURNING id", [project_id, f"clip {k}"])
        sequence_ids.append(cur.fetchone()[0])
    with cur.copy("COPY annotations_track (project_id, sequence_id, label_id, number, created_at) FROM STDIN") as copy:
        for k, sequence_id in enumerate(sequence_ids):
            for j in range(per_frame):
                copy.write_row((project_id, sequence_id, rng.choice(labels), k * per_frame + j + 1, "now"))
    cur.execute("SELECT id, label_id FROM annotations_track WHERE project_id = %s ORDER BY number", [project_id])
    return sequence_ids, cur.fetchall()


def export_once(project_id: int, fmt: str) -> dict:
    """One export in this (fresh) process: wall time, peak RSS, queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from annotations.exports.service import dataset_export
    from annotations.models import Project

    project = Project.objects.get(pk=project_id)
    rss_before = _vm("VmRSS")
    with tempfile.TemporaryDirectory(prefix="bench-export-") as out, CaptureQueriesContext(connection) as queries:
        started, cpu_started = time.perf_counter(), time.process_time()
        dataset = dataset_export(project=project, format=fmt, only="all", out=Path(out) / fmt, copy_images=False)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        size = sum(p.stat().st_size for p in (Path(out) / fmt).rglob("*") if p.is_file())
    return {"seconds": seconds, "cpu": cpu, "peak_mb": _vm("VmHWM") / 1024, "start_mb": rss_before / 1024,
            "queries": len(queries), "images": dataset.counts["images"], "boxes": dataset.counts["boxes"],
            "tracks": dataset.counts.get("tracks", 0),
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
    parser.add_argument("--formats", help="default coco,yolo; coco,mot with --tracks")
    parser.add_argument("--tracks", action="store_true", help="sequences of 100 frames, every box in a track")
    parser.add_argument("--child", nargs=2, metavar=("PROJECT_ID", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    formats = (args.formats or ("coco,mot" if args.tracks else "coco,yolo")).split(",")
    if args.child:
        django_setup(args.database_url)
        print(json.dumps(export_once(int(args.child[0]), args.child[1])))
        return
    database_ensure(args.database_url)
    django_setup(args.database_url)
    # CPU s: this process's own (not PostgreSQL's); steadier than wall time on a loaded machine.
    print(f"{'export':<22}{'wall s':>9}{'CPU s':>8}{'peak RSS MB':>13}{'queries':>9}{'output MB':>11}   target")
    for size in args.sizes.split(","):
        frames, boxes = (int(v) for v in size.split(":"))
        project_id = project_generate(frames, boxes, tracks=args.tracks)
        for fmt in formats:
            done = subprocess.run([sys.executable, __file__, "--database-url", args.database_url, "--child",
                                   str(project_id), fmt], capture_output=True, text=True, cwd=ROOT)
            if done.returncode:
                print(done.stderr[-3000:])
                raise SystemExit(done.returncode)
            r = json.loads(done.stdout.strip().splitlines()[-1])
            seconds_target, rss_target = TARGETS.get((frames, boxes), (None, None))
            target = ""
            if fmt in ("coco", "mot") and seconds_target:  # MOT has no target of its own: COCO's
                ok = r["seconds"] <= seconds_target and (rss_target is None or r["peak_mb"] < rss_target)
                target = f"<= {seconds_target:g} s" + (f", RSS < {rss_target:g} MB" if rss_target else "")
                target += "  OK" if ok else "  MISSED"
            label = f"{fmt} {frames // 1000}k/{boxes // 1000}k" + (" tracks" if args.tracks else "")
            print(f"{label:<22}{r['seconds']:>9.2f}{r['cpu']:>8.2f}{r['peak_mb']:>13.0f}{r['queries']:>9}{r['bytes'] / 1e6:>11.1f}"
                  f"   {target}  (process at start: {r['start_mb']:.0f} MB; {r['images']} images, {r['boxes']} boxes, "
                  f"{r['tracks']} tracks)",
                  flush=True)


if __name__ == "__main__":
    main()
