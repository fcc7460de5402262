"""Benchmark: an evaluation of N frames (default 1,000) with the OpenCV backend against the bare detector,
and COCO scoring of 100,000 boxes.

    python bench/evaluate.py [--database postgres://postgres@127.0.0.1:5432/h_evaluate_bench] [--frames 1000]

Embedded mode (no Redis): this process drives the evaluation (as `manage.py evaluate_model` does) and
its supervisor runs the jobs in the spawned detector process, as a web process without workers does;
wall time, CPU time (driver + detector process) and the peak RSS of both are printed.
Frames are skimage's astronaut (512x512 JPEG, a corner block changed per frame so each is a new frame),
approved, with a human `face` and `person` box. Prints:

- bare: `OpenCVDetector.detect(frame, ["face", "person"])` over the frames, each opened from storage;
- evaluation: `evaluation_create` → `evaluation_run` until done, incl. the DVC export of the
  dataset version, the jobs, scoring and the MLflow run (local sqlite store) with its artifacts;
- overhead = evaluation wall time / bare time − 1, against DESIGN.md's target (< 10 %);
- scoring 100,000 boxes (10,000 frames × 10 truths, ~10 % misses and extra false alarms).
"""

import argparse
import io
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

ASTRONAUT_FACE = (178, 72, 278, 180)
ASTRONAUT_PERSON = (0, 40, 512, 512)


def setup(args, root: Path):
    from detect import ensure_database

    ensure_database(args.database)
    os.environ.update(
        DATABASE_URL=args.database, REDIS_URL="", MEDIA_ROOT=str(root / "media"), INFERENCE_BACKEND="opencv",
        INFERENCE_EXECUTION="thread", DVC_REPO_DIR=str(root / "datasets"), DVC_REMOTE_URL=str(root / "remote"),
        MLFLOW_TRACKING_URI=f"sqlite:///{root / 'mlflow.db'}", MLFLOW_ARTIFACT_ROOT=str(root / "artifacts"),
        DJANGO_SETTINGS_MODULE="hitl_project.settings", LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.MLFLOW_ARTIFACT_ROOT = str(root / "artifacts")
    call_command("migrate", verbosity=0)


def frames_make(project, count: int, with_person: bool):
    import hashlib

    import numpy as np
    from django.core.files.base import ContentFile
    from PIL import Image as PILImage
    from skimage import data

    from annotations.models import Box, Image, ImageStatus, Label

    face = Label.objects.create(project=project, name="face", color="#ff0000")
    person = Label.objects.create(project=project, name="person", color="#00ff00") if with_person else None
    base = data.astronaut()
    images = []
    for index in range(count):
        pixels = base.copy()
        for bit in range(16):  # the frame number in black/white 16x16 blocks: survives JPEG, every frame is new
            pixels[:16, bit * 16 : bit * 16 + 16] = 255 if index >> bit & 1 else 0
        buffer = io.BytesIO()
        PILImage.fromarray(pixels).save(buffer, format="JPEG", quality=90)
        content = buffer.getvalue()
        image = Image(project=project, width=512, height=512, frame_index=index, status=ImageStatus.APPROVED,
                      sha256=hashlib.sha256(content).hexdigest(), original_name=f"frame{index}.jpg")
        image.file.save(f"frame{index}.jpg", ContentFile(content), save=False)
        images.append(image)
    Image.objects.bulk_create(images, batch_size=500)
    boxes = []
    for image in Image.objects.filter(project=project):
        boxes.append(Box(image=image, label=face, x_min=ASTRONAUT_FACE[0], y_min=ASTRONAUT_FACE[1],
                         x_max=ASTRONAUT_FACE[2], y_max=ASTRONAUT_FACE[3]))
        if person is not None:
            boxes.append(Box(image=image, label=person, x_min=ASTRONAUT_PERSON[0], y_min=ASTRONAUT_PERSON[1],
                             x_max=ASTRONAUT_PERSON[2], y_max=ASTRONAUT_PERSON[3]))
    Box.objects.bulk_create(boxes, batch_size=2000)
    del np


def bare(project, prompts) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of the bare detector over the frames."""
    from PIL import Image as PILImage

    from annotations.models import Image
    from inference.detectors.opencv import OpenCVDetector

    detector = OpenCVDetector()
    started, cpu = time.perf_counter(), time.process_time()
    for image in Image.objects.filter(project=project).order_by("frame_index"):
        with image.file.open("rb") as handle:
            picture = PILImage.open(handle)
            picture.load()
        for _ in detector.detect(picture.convert("RGB"), prompts):
            pass
    return time.perf_counter() - started, time.process_time() - cpu


def worker_process() -> dict:
    """CPU seconds and peak RSS (MB) of the embedded detector process, read while it still runs."""
    import psutil

    from inference.supervisor import supervisor

    child = psutil.Process(supervisor.child.process.pid)
    times = child.cpu_times()
    with open(f"/proc/{child.pid}/status") as handle:
        peak = next(int(line.split()[1]) for line in handle if line.startswith("VmHWM:")) / 1024
    return {"cpu": times.user + times.system, "peak_rss": peak, "threads": child.num_threads()}


def scoring_100k() -> float:
    from feedback.evaluation.scoring import coco_score

    rng = random.Random(1)
    images = [{"id": i, "width": 640, "height": 480} for i in range(1, 10_001)]
    categories = [{"id": c, "name": f"label{c}"} for c in range(1, 6)]
    truths, found = [], []
    for image in images:
        for _ in range(10):
            x, y, w, h = rng.uniform(0, 500), rng.uniform(0, 350), rng.uniform(10, 120), rng.uniform(10, 120)
            category = rng.randint(1, 5)
            truths.append({"id": len(truths) + 1, "image_id": image["id"], "category_id": category,
                           "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0})
            if rng.random() < 0.9:
                found.append({"image_id": image["id"], "category_id": category,
                              "bbox": [x + rng.uniform(-8, 8), y, w, h], "score": rng.random()})
            if rng.random() < 0.1:
                found.append({"image_id": image["id"], "category_id": category,
                              "bbox": [rng.uniform(0, 500), y, w, h], "score": rng.random()})
    started = time.perf_counter()
    coco_score(ground_truth={"images": images, "categories": categories, "annotations": truths}, detections=found)
    return time.perf_counter() - started, len(truths), len(found)


def phases_timed() -> dict:
    """Time the evaluation's fixed costs: the dataset version (DVC export) and scoring + MLflow."""
    from feedback.evaluation import driver

    phases = {}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - started
        return wrapper

    driver._prepare = timed("prepare (DVC export, frames)", driver._prepare)
    driver.evaluation_finish = timed("finish (scoring, artifacts, MLflow)", driver.evaluation_finish)
    return phases


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/h_evaluate_bench")
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--person", action="store_true",
                        help="also the HOG `person` label (~1.4 s per 512x512 frame here; default: `face` only)")
    parser.add_argument("--no-scoring", action="store_true", help="skip the 100,000-box scoring figure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="evaluate-bench-") as tmp:
        root = Path(tmp)
        setup(args, root)
        from annotations.models import Project
        from feedback.evaluation.driver import evaluation_run
        from feedback.evaluation.services import driver_name, evaluation_create

        project = Project.objects.create(name=f"evaluate bench {time.time():.0f}")
        prompts = ["face", "person"] if args.person else ["face"]
        frames_make(project, args.frames, args.person)
        load_before = os.getloadavg()[0]
        bare_seconds, bare_cpu = bare(project, prompts)
        phases = phases_timed()
        started, cpu = time.perf_counter(), time.process_time()
        evaluation = evaluation_create(project=project, user=None, backend="opencv", driver=driver_name())
        evaluation = evaluation_run(evaluation_id=evaluation.pk)
        wall, driver_cpu = time.perf_counter() - started, time.process_time() - cpu
        worker = worker_process()
        bare_after, bare_cpu_after = bare(project, prompts)  # the machine is shared: bare again after, the mean is the reference
        bare_seconds, bare_cpu = (bare_seconds + bare_after) / 2, (bare_cpu + bare_cpu_after) / 2
        assert evaluation.status == "done", evaluation.error
        m = evaluation.metrics
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"frames: {evaluation.frames_done} done, {evaluation.frames_failed} failed (opencv: {', '.join(prompts)})")
        print(f"bare detector:   {bare_seconds:8.2f} s  {bare_seconds / args.frames * 1000:7.1f} ms/frame")
        print(f"evaluation wall: {wall:8.2f} s  {wall / args.frames * 1000:7.1f} ms/frame "
              f"(detector inside the jobs: {m['seconds_per_frame'] * 1000:.1f} ms/frame)")
        print("phases: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in phases.items()))
        print(f"overhead over the bare detector: {(wall / bare_seconds - 1) * 100:+.1f} %   target < 10 %  "
              f"(wall time; load average {load_before:.1f} → {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        evaluation_cpu = driver_cpu + worker["cpu"]
        print(f"CPU: bare {bare_cpu:.2f} s; evaluation {evaluation_cpu:.2f} s = driver (this process) {driver_cpu:.2f} s"
              f" + detector process {worker['cpu']:.2f} s (incl. its start-up): {(evaluation_cpu / bare_cpu - 1) * 100:+.1f} %"
              " over the bare detector (PostgreSQL's own CPU not counted)")
        print(f"peak RSS: driver process (the web process's part) {rss:.0f} MB, detector process {worker['peak_rss']:.0f} MB"
              f" ({worker['threads']} threads)")
        print(f"mAP {m['map']:.3f}  AP50 {m['map_50']:.3f}  MLflow run {evaluation.mlflow_run_id}")
        if not args.no_scoring:
            seconds, n_truth, n_found = scoring_100k()
            print(f"scoring {n_truth:,} human boxes vs {n_found:,} detections: {seconds:.2f} s")


if __name__ == "__main__":
    main()
