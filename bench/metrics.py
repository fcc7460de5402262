"""Benchmark: AI-audit metrics for 10,000 frames / 100,000 boxes / 100,000 predictions on PostgreSQL.

    python bench/metrics.py [--database postgres://postgres@127.0.0.1:5432/h_metrics_bench] [--fresh]

Creates the database if it is missing, migrates it, and bulk-loads one project with COPY
(rows only, no image files) unless it is already there. Then times `metrics_for_project`
and `GET /api/projects/{id}/metrics/` (best and median of 5 runs) and counts their queries (all connections),
printed next to the DESIGN.md target: < 500 ms, bounded queries.
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

FRAMES, BOXES_PER_FRAME, PREDS_PER_FRAME, EVENTS_PER_FRAME = 10_000, 10, 10, 6
LABELS = ("person", "car", "bicycle", "dog", "traffic light")
PROJECT_NAME = "bench-metrics"
TARGET_MS = 500


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def copy_rows(cursor, table: str, columns: list[str], rows) -> None:
    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load(project_name: str, fresh: bool):
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from annotations.models import AnnotationEvent, Box, Image, Label, Membership, Project
    from annotations.models import FrameFeedback
    from inference.models import DetectionJob, Prediction

    existing = Project.objects.filter(name=project_name).first()
    if existing and not fresh and existing.images.count() == FRAMES:
        return existing, Membership.objects.filter(project=existing).first().user
    if existing:
        existing.delete()
    rng = random.Random(1)
    User = get_user_model()
    users = [User.objects.get_or_create(username=f"bench{i}")[0] for i in range(4)]
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        project = Project.objects.create(name=project_name)
        for user in users:
            Membership.objects.create(project=project, user=user, role="manager")
        labels = [Label.objects.create(project=project, name=name) for name in LABELS]
        statuses = ["approved"] * 4 + ["rejected", "submitted", "submitted", "in_progress", "in_progress", "new"]
        copy_rows(cursor, Image._meta.db_table,
                  ["project_id", "file", "original_name", "format", "sha256", "width", "height", "frame_index", "status",
                   "metadata", "review_comment", "created_at", "updated_at"],
                  ((project.pk, f"bench/{i}.png", "", "PNG", f"{i:064d}", 1280, 720, i, statuses[i % 10], "{}", "",
                    now, now) for i in range(FRAMES)))
        frames = list(Image.objects.filter(project=project).order_by("frame_index").values_list("id", flat=True))
        copy_rows(cursor, DetectionJob._meta.db_table,
                  ["image_id", "prompts", "status", "backend", "model", "revision", "device", "error", "timings",
                   "attempts", "created_at", "mlflow_run_id"],
                  ((f, '["person", "car", "bicycle", "dog", "traffic light"]', "done", "bench", "moondream2",
                    "2025-06-21" if i % 3 else "2025-04-14", "cpu", "", "{}", 1, now + dt.timedelta(minutes=i), "")
                   for i, f in enumerate(frames)))
        jobs = dict(DetectionJob.objects.filter(image__project=project).values_list("image_id", "id"))
        boxes, preds = [], []
        for i, f in enumerate(frames):
            for k in range(BOXES_PER_FRAME):
                w, h = rng.uniform(20, 300), rng.uniform(20, 300)
                x, y = rng.uniform(0, 1280 - w - 10), rng.uniform(0, 720 - h - 10)
                boxes.append([f, labels[k % len(labels)].pk, x, y, x + w, y + h])
                if k < PREDS_PER_FRAME - 2:
                    d = rng.uniform(-0.15, 0.15)
                    preds.append([jobs[f], f, labels[k % len(labels)].pk, LABELS[k % len(LABELS)], k,
                                  max(0, x + d * w), y, x + w + d * w, y + h, rng.random(),
                                  rng.choice(["accepted", "accepted", "corrected", "rejected", "pending"])])
            for k in range(2):  # false alarms
                w, h = rng.uniform(20, 200), rng.uniform(20, 200)
                x, y = rng.uniform(0, 1000), rng.uniform(0, 500)
                preds.append([jobs[f], f, labels[k].pk, LABELS[k], 100 + k, x, y, x + w, y + h, rng.random() * 0.6,
                              "rejected"])
        copy_rows(cursor, Prediction._meta.db_table,
                  ["job_id", "image_id", "label_id", "prompt", "rank", "x_min", "y_min", "x_max", "y_max", "score",
                   "status", "created_at"], (p + [now] for p in preds))
        pred_ids = dict(((j, r), pk) for pk, j, r in Prediction.objects.filter(image__project=project).values_list(
            "id", "job_id", "rank"))
        copy_rows(cursor, Box._meta.db_table,
                  ["image_id", "label_id", "x_min", "y_min", "x_max", "y_max", "source", "prediction_id", "version",
                   "deleted", "created_at", "updated_at"],
                  ((b[0], b[1], b[2], b[3], b[4], b[5], "human", pred_ids.get((jobs[b[0]], n % BOXES_PER_FRAME))
                    if n % BOXES_PER_FRAME < 8 and n % 3 == 0 else None, 1, False, now, now)
                   for n, b in enumerate(boxes)))
        copy_rows(cursor, AnnotationEvent._meta.db_table,
                  ["image_id", "user_id", "action", "undone", "created_at"],
                  ((f, users[i % 4].pk, "create", False, now + dt.timedelta(minutes=i, seconds=17 * k))
                   for i, f in enumerate(frames) for k in range(EVENTS_PER_FRAME)))
        copy_rows(cursor, FrameFeedback._meta.db_table,
                  ["image_id", "user_id", "rating", "created_at", "updated_at"],
                  ((f, users[0].pk, (i % 3) - 1, now, now) for i, f in enumerate(frames) if i % 2))
    print(f"loaded in {time.perf_counter() - started:.1f} s: {FRAMES} frames, {len(boxes)} boxes, "
          f"{len(preds)} predictions, {FRAMES * EVENTS_PER_FRAME} events")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return project, users[0]


def timed(fn, runs=5):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from django.db import transaction

    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    # Counted once more inside a transaction, where every query runs on this connection
    # (outside one, the SQL counting overlaps the matching on a second connection).
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        fn()
    sql = sum(float(q["time"]) for q in captured.captured_queries) * 1000
    return min(times), statistics.median(times), statistics.median(cpu), sql, len(captured.captured_queries)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/h_metrics_bench")
    parser.add_argument("--fresh", action="store_true", help="reload the rows even if they are there")
    args = parser.parse_args()
    ensure_database(args.database)
    os.environ["DATABASE_URL"] = args.database
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hitl_project.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework.test import APIClient

    from feedback.selectors import metrics_for_project

    call_command("migrate", verbosity=0)
    project, user = load(PROJECT_NAME, args.fresh)
    client = APIClient()
    client.force_authenticate(user)

    def endpoint():
        response = client.get(f"/api/projects/{project.pk}/metrics/")
        assert response.status_code == 200, response.content[:300]

    result = metrics_for_project(project=project)
    det = result["detection"]
    print(f"sanity: precision {det['precision']:.3f} recall {det['recall']:.3f} mAP@0.5 {det['map50']:.3f} "
          f"on {det['frames_evaluated']} frames ({result['ground_truth']})")
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (the machine is shared)")
    print(f"{'what':<36}{'best ms':>9}{'median ms':>11}{'py cpu ms':>11}{'sql ms':>8}{'queries':>9}   target")
    for name, fn in (("metrics_for_project", lambda: metrics_for_project(project=project)),
                     ("GET /api/projects/{id}/metrics/", endpoint),
                     ("  ?label=<person>", lambda: client.get(
                         f"/api/projects/{project.pk}/metrics/?label={project.labels.first().pk}")),
                     ("  ?revision=2025-06-21", lambda: client.get(
                         f"/api/projects/{project.pk}/metrics/?revision=2025-06-21"))):
        best, median, cpu, sql, queries = timed(fn)
        verdict = "ok" if median < TARGET_MS else "MISSED"
        print(f"{name:<36}{best:>9.0f}{median:>11.0f}{cpu:>11.0f}{sql:>8.0f}{queries:>9}   < {TARGET_MS} ms, bounded ({verdict})")


if __name__ == "__main__":
    main()
