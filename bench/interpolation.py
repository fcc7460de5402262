"""Benchmark: keyframe interpolation of one 1,000-frame track on PostgreSQL.

    python bench/interpolation.py [--database postgres://postgres@127.0.0.1:5432/h_interp_bench] [--runs 5]

Creates the database if it is missing and migrates it, then per run: a fresh project with one
1,000-frame sequence (rows only, no image files), a track with keyframes on its first and last
frame, and times `interpolation_run` writing the 998 boxes between them (their events, the undo
group, the broadcasts queued), and the same call again when there is nothing to change. Prints
best and median, the queries of one run, and the undo of that interpolation, next to the target
of docs/architecture.md: ≤ 250 ms for 1,000 frames, a fixed number of queries.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.metrics import ensure_database  # noqa: E402  (needs REPO on the path)

FRAMES = 1_000
TARGET_MS = 250


def clip(run: int):
    from django.contrib.auth import get_user_model

    from annotations.models import Box, Image, Label, Membership, Project, Role, Sequence, Track
    from annotations.services.projects import project_delete

    for old in Project.objects.filter(name__startswith="bench-interpolation"):
        project_delete(project=old, user=None)  # boxes and tracks protect their labels: the service's order

    user, _ = get_user_model().objects.get_or_create(username="bench-interpolation")
    project = Project.objects.create(name=f"bench-interpolation-{run}")
    Membership.objects.create(project=project, user=user, role=Role.ANNOTATOR)
    label = Label.objects.create(project=project, name="person")
    sequence = Sequence.objects.create(project=project, name="clip")
    frames = Image.objects.bulk_create(
        Image(project=project, sequence=sequence, file=f"bench/{n}.png", format="PNG", sha256=f"{n:064x}",
              width=1280, height=720, frame_index=n)
        for n in range(FRAMES)
    )  # fmt: skip
    track = Track.objects.create(project=project, label=label, number=1, sequence=sequence)
    Box.objects.create(image=frames[0], label=label, track=track, x_min=0, y_min=0, x_max=100, y_max=200)
    Box.objects.create(image=frames[-1], label=label, track=track, x_min=1100, y_min=400, x_max=1280, y_max=720)
    return user, track, frames


def timed(func) -> tuple[float, object, int]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()  # the log keeps 9,000 queries: a full one would count none

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = func()
        elapsed = (time.perf_counter() - start) * 1000
    return elapsed, result, len(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/h_interp_bench")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ensure_database(args.database)
    os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("REDIS_URL", "")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hitl_project.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from annotations.services.history import history_undo
    from annotations.services.interpolation import interpolation_run

    call_command("migrate", verbosity=0)
    first, again, undo, queries = [], [], [], 0
    for run in range(args.runs):
        user, track, frames = clip(run)
        ms, result, queries = timed(lambda: interpolation_run(track=track, user=user, image_id=frames[0].pk))
        assert len(result.created) == FRAMES - 2, len(result.created)
        first.append(ms)
        again.append(timed(lambda: interpolation_run(track=track, user=user))[0])
        undo.append(timed(lambda: history_undo(image=frames[0], user=user))[0])
    load = os.getloadavg()[0]
    print(f"interpolation of a {FRAMES:,}-frame track ({FRAMES - 2} boxes written), {args.runs} runs, load {load:.1f}")
    print(f"  write:            best {min(first):7.1f} ms   median {statistics.median(first):7.1f} ms   {queries} queries")
    print(f"  again (no-op):    best {min(again):7.1f} ms   median {statistics.median(again):7.1f} ms")
    print(f"  undo of it:       best {min(undo):7.1f} ms   median {statistics.median(undo):7.1f} ms")
    print(f"  target:           ≤ {TARGET_MS} ms, a fixed number of queries (docs/architecture.md)")


if __name__ == "__main__":
    main()
