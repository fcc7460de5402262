"""MLflow runs of detections on a `make run`-like start-up, with nobody calling `flush_tracking`.

    python bench/tracking_latency.py [--jobs 5] [--outage-jobs 5] [--backend memory|opencv]

In a fresh temporary var directory (sqlite app database, as `make run`): migrates, seeds a
project with one frame per job, starts `mlflow server` on a sqlite store and one Daphne with
`MLFLOW_TRACKING_URI` pointing at it (embedded: the jobs and the periodic work run in that
process). Then:

1. `--jobs` detections one after the other; for each, the time from the job's `finished_at`
   to its run being FINISHED in MLflow (seen through MlflowClient, polled every 50 ms).
2. MLflow stopped; `--outage-jobs` detections; MLflow restarted on the same port and store;
   the time from the server answering again to every run being there, and the run count per
   outbox key (duplicates must be 0).

Target (issue 11): a run visible within ~10 s of its job ending; every run exactly once.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 10


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5)
    parser.add_argument("--outage-jobs", type=int, default=5)
    parser.add_argument("--backend", default="memory", help="INFERENCE_BACKEND of the Daphne process")
    return parser.parse_args()


def seed(frames: int):
    from rest_framework.authtoken.models import Token

    from annotations.models import Role
    from tests.factories import ImageFactory, LabelFactory, MembershipFactory, ProjectFactory, UserFactory

    project = ProjectFactory(name="tracking-bench")
    LabelFactory(project=project, name="face")
    user = UserFactory(username="bench")
    MembershipFactory(project=project, user=user, role=Role.ANNOTATOR)
    images = [ImageFactory(project=project, frame_index=i, width=320, height=240) for i in range(frames)]
    return project, images, Token.objects.create(user=user).key


def detect(port: int, image_id: int, token: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/images/{image_id}/detect/", data=json.dumps({"prompts": "face"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"}, method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["id"]


def wait_finished(job_id: int):
    from inference.models import DetectionJob

    while (job := DetectionJob.objects.get(pk=job_id)).status not in ("done", "failed"):
        time.sleep(0.02)
    return job


def finished_runs(url: str, experiment: str) -> Counter:
    from mlflow.tracking import MlflowClient

    found = MlflowClient(tracking_uri=url).get_experiment_by_name(experiment)
    if found is None:
        return Counter()
    runs = MlflowClient(tracking_uri=url).search_runs([found.experiment_id], max_results=1000)
    return Counter(r.data.tags.get("hitl.outbox_key") for r in runs if r.info.status == "FINISHED")


def wait_runs(url: str, experiment: str, keys: set, timeout: float = 300) -> Counter:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = finished_runs(url, experiment)
        if keys <= set(counts):
            return counts
        time.sleep(0.05)
    raise RuntimeError(f"runs missing after {timeout} s: {keys - set(finished_runs(url, experiment))}")


def main():
    args = parse_args()
    var = Path(tempfile.mkdtemp(prefix="tracking-bench-"))
    os.environ.update({"HITL_VAR_DIR": str(var), "MEDIA_ROOT": str(var / "media"), "REDIS_URL": "",
                       "LOG_LEVEL": "WARNING", "INFERENCE_BACKEND": args.backend})
    os.environ.pop("DATABASE_URL", None)  # sqlite in the var directory, as `make run`
    from tests.live.daphne import daphne_processes, free_ports
    from tests.live.mlflow_server import MlflowServer

    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hitl_project.settings")
    import django

    django.setup()
    from django.utils import timezone
    from mlflow.tracking import MlflowClient  # noqa: F401  (imported before timing: seconds, not the app's cost)

    from tracking.runs import project_experiment

    project, images, token = seed(args.jobs + args.outage_jobs)
    experiment = project_experiment(project)
    mlflow = MlflowServer(backend_uri=f"sqlite:///{var / 'mlflow.db'}", artifact_root=var / "mlruns", log_dir=var)
    started = time.monotonic()
    mlflow.start()
    print(f"mlflow server answering after {time.monotonic() - started:.1f} s")
    env = {"MLFLOW_TRACKING_URI": mlflow.url}
    try:
        with daphne_processes(free_ports(1), env, var) as [(port, _, _)]:
            delays = []
            for image in images[: args.jobs]:
                job = wait_finished(detect(port, image.pk, token))
                wait_runs(mlflow.url, experiment, {f"detection_job:{job.pk}"})
                delays.append((timezone.now() - job.finished_at).total_seconds())
            print(f"job end → run FINISHED in MLflow, {len(delays)} jobs: "
                  f"min {min(delays):.2f} s, median {sorted(delays)[len(delays) // 2]:.2f} s, "
                  f"max {max(delays):.2f} s (target ≤ ~{TARGET_SECONDS} s)")

            mlflow.stop()
            down_keys = set()
            for image in images[args.jobs:]:
                down_keys.add(f"detection_job:{wait_finished(detect(port, image.pk, token)).pk}")
            time.sleep(5)  # a few ticks of the periodic work against a dead server
            restarted = time.monotonic()
            mlflow.start()
            answering = time.monotonic()
            counts = wait_runs(mlflow.url, experiment, down_keys)
            drained = time.monotonic()
            time.sleep(5)  # anything sent twice would show up now
            counts = finished_runs(mlflow.url, experiment)
            total = sum(1 for _ in counts.elements())
            duplicates = sum(n - 1 for n in counts.values())
            print(f"outage: {len(down_keys)} runs waited in the outbox; mlflow back after "
                  f"{answering - restarted:.1f} s, all {len(down_keys)} arrived {drained - answering:.1f} s later; "
                  f"runs in MLflow {total} for {len(counts)} keys, duplicates {duplicates} (target 0)")
    finally:
        mlflow.stop()


if __name__ == "__main__":
    main()
