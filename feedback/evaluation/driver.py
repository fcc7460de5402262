"""Evaluations, the driver: run a queued evaluation (one detection job per frame) to its end.

`evaluation_run` only submits jobs and reads their results: detectors run wherever detection
jobs run (the inference workers). It keeps at most `EVALUATION_WINDOW` frames in flight, so a
cancel stops it within one frame per worker, and records each frame's detections as the frame's
job finishes: a resumed evaluation never re-runs a `done` frame. The row's `heartbeat_at` tells a
live driver from a dead one; `driver` names who holds it.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotations.errors import Conflict, InvalidInput
from feedback.evaluation.ground_truth import dataset_for_evaluation, ground_truth_build
from feedback.evaluation.models import Evaluation, EvaluationFrame, EvaluationStatus, FrameStatus
from feedback.evaluation.results import evaluation_finish, prompts_by_label_id
from feedback.evaluation.services import driver_name, evaluation_fail, progress_on_commit, stale_seconds
from inference.execution import RowHeartbeat
from inference.models import DetectionJob, JobPurpose, JobStatus, Prediction
from inference.services import job_submit

logger = logging.getLogger(__name__)


def _window() -> int:
    return max(1, int(settings.EVALUATION_WINDOW))


def _claim(evaluation_id: int, driver: str) -> Evaluation | None:
    """Hold the evaluation for `driver`: a queued one, one it already holds, or a running one whose
    driver stopped beating (a worker killed mid-run); None when another driver has it."""
    with transaction.atomic():
        evaluation = Evaluation.objects.select_for_update().filter(pk=evaluation_id).first()
        if evaluation is None:
            return None
        now = timezone.now()
        running = evaluation.status == EvaluationStatus.RUNNING
        orphaned = running and (evaluation.heartbeat_at or evaluation.created_at) < now - timedelta(
            seconds=stale_seconds())
        if not (evaluation.status == EvaluationStatus.QUEUED or orphaned or (running and evaluation.driver == driver)):
            return None
        if orphaned and evaluation.driver != driver:
            logger.warning("Evaluation %s: its driver %s stopped; %s takes over", evaluation_id, evaluation.driver,
                           driver)
        evaluation.status, evaluation.heartbeat_at, evaluation.driver = EvaluationStatus.RUNNING, now, driver
        evaluation.started_at = evaluation.started_at or now
        evaluation.save(update_fields=["status", "heartbeat_at", "started_at", "driver"])
        progress_on_commit(evaluation)
    return evaluation


def _held(evaluation: Evaluation, driver: str):
    """The evaluation's row while `driver` still holds it (not cancelled, not taken over)."""
    return Evaluation.objects.filter(pk=evaluation.pk, status=EvaluationStatus.RUNNING, driver=driver)


def _prepare(evaluation: Evaluation) -> None:
    """Pin the dataset version, build the ground truth and the frame rows (once)."""
    version = dataset_for_evaluation(evaluation=evaluation)
    truth = ground_truth_build(version=version, label_names=evaluation.prompts, limit=evaluation.limit)
    if not truth["images"]:
        raise InvalidInput("The dataset version has none of this project's frames left to evaluate.")
    with transaction.atomic():
        EvaluationFrame.objects.bulk_create(
            EvaluationFrame(evaluation=evaluation, image_id=image["id"], position=position)
            for position, image in enumerate(truth["images"])
        )
        evaluation.dataset_version, evaluation.ground_truth, evaluation.frames = version, truth, len(truth["images"])
        evaluation.save(update_fields=["dataset_version", "ground_truth", "frames"])


POLL_MAX_SECONDS = 2.0  # at most (also how long a cancel may take to stop the driver)


def evaluation_run(*, evaluation_id: int, progress=None, poll: float = 0.05, idle=None,
                   driver: str | None = None) -> Evaluation | None:
    """Drive an evaluation to its end (done, failed or cancelled); None if another driver holds it.

    `driver` (default: this process) takes a queued evaluation, one it holds already, or one whose
    driver stopped beating for EVALUATION_STALE_SECONDS; a side thread beats while it runs.
    `progress(done, total)` is called as frames finish (the command's tqdm bar); `idle()` runs
    between rounds (default: sleep while the workers run the jobs, from `poll` seconds doubling
    up to `_Pace`'s limit while no frame finishes, so the driver takes no CPU from them).
    """
    driver = driver or driver_name()
    evaluation = _claim(evaluation_id, driver)
    if evaluation is None:
        return None
    beat = RowHeartbeat(rows=_held(evaluation, driver), interval=max(0.2, stale_seconds() / 4),
                        name=f"evaluation-{evaluation_id}-heartbeat")
    try:
        with beat:
            _drive(evaluation, driver, progress=progress, poll=poll, idle=idle)
    except Exception as error:  # any failure becomes the evaluation's reason, shown to the user
        logger.exception("Evaluation %s failed", evaluation_id)
        evaluation_fail(evaluation, getattr(error, "detail", None) or str(error) or type(error).__name__)
    return Evaluation.objects.get(pk=evaluation_id)


def _drive(evaluation: Evaluation, driver: str, *, progress, poll: float, idle) -> None:
    if evaluation.ground_truth is None:
        _prepare(evaluation)
    pace = _Pace(poll)
    while True:
        finished, changed = _round(evaluation, driver, progress)
        if finished:
            return
        if idle is not None:
            idle()
            continue
        time.sleep(pace.next_wait(changed))


class _Pace:
    """How long the driver sleeps between rounds: each round costs a dozen queries, so it waits while
    nothing finishes (doubling from `poll`) and keeps its pace while frames do, up to half the time
    the window of queued frames lasts — the workers never run dry, and a round collects several
    frames instead of a few rounds per frame."""

    def __init__(self, poll: float):
        self.poll = self.wait = poll
        self.since, self.frames = time.monotonic(), 0

    def next_wait(self, changed: int) -> float:
        self.frames += changed
        per_frame = (time.monotonic() - self.since) / self.frames if self.frames else 0.0
        cap = min(POLL_MAX_SECONDS, max(self.poll, per_frame * _window() / 2))
        self.wait = min(cap, self.wait if changed else self.wait * 2)
        return self.wait


def _round(evaluation: Evaluation, driver: str, progress) -> tuple[bool, int]:
    """One round: beat, collect finished jobs, submit up to the window; (ended, frames finished)."""
    if not _held(evaluation, driver).update(heartbeat_at=timezone.now()):
        return True, False  # cancelled (or taken over): stop here, finished frames are kept
    changed = _collect(evaluation)
    _jobs_release(evaluation)
    open_frames = EvaluationFrame.objects.filter(evaluation=evaluation, status__in=(FrameStatus.PENDING,
                                                                                      FrameStatus.SUBMITTED))
    if not open_frames.exists():
        while _jobs_release(evaluation):  # the last jobs' grace: at most EVALUATION_JOB_GRACE_SECONDS
            time.sleep(0.2)
        evaluation_finish(evaluation)
        return True, changed
    _submit(evaluation)
    if changed:
        evaluation.refresh_from_db(fields=["frames_done", "frames_failed", "frames"])
        if progress is not None:
            progress(evaluation.frames_done + evaluation.frames_failed, evaluation.frames)
    return False, changed


def _prompts_to_run(evaluation: Evaluation) -> list[str]:
    """Every prompt a frame's job asks: the configuration's, then the prompt-search candidates."""
    prompts = list(prompts_by_label_id(evaluation))
    for candidates in evaluation.prompt_candidates.values():
        prompts.extend(c for c in candidates if c not in prompts)
    return prompts


def _collect(evaluation: Evaluation) -> int:
    """Record every submitted frame whose job has ended, in one transaction; returns how many.

    A handful of queries per round whatever the number of frames (not a few per frame): under load
    each round trip to the database costs more than the bookkeeping itself."""
    finished = list(
        EvaluationFrame.objects.filter(evaluation=evaluation, status=FrameStatus.SUBMITTED)
        .exclude(job__status__in=(JobStatus.QUEUED, JobStatus.RUNNING))
        .select_related("job")
    )
    if not finished:
        return 0
    boxes: dict[int, list] = {}
    done_jobs = [frame.job_id for frame in finished if frame.job is not None and frame.job.status == JobStatus.DONE]
    rows = (Prediction.objects.filter(job_id__in=done_jobs).order_by("job_id", "prompt", "rank")
            .values_list("job_id", "prompt", "x_min", "y_min", "x_max", "y_max", "score"))
    for job_id, prompt, x0, y0, x1, y1, score in rows:
        # per prompt: the labels are assigned when scoring (prompt search)
        boxes.setdefault(job_id, []).append([prompt, x0, y0, x1 - x0, y1 - y0, score])
    counts = {"frames_done": 0, "frames_failed": 0}
    for frame in finished:
        job = frame.job
        if job is None:  # the job row is gone: run the frame again
            frame.status = FrameStatus.PENDING
            continue
        _detector_check(evaluation, job)
        if job.status == JobStatus.DONE:
            frame.detections, frame.status = boxes.get(job.pk, []), FrameStatus.DONE
            frame.seconds = (job.timings or {}).get("total")
            counts["frames_done"] += 1
        else:
            frame.status, frame.error = FrameStatus.FAILED, job.error[:2000]
            counts["frames_failed"] += 1
    with transaction.atomic():
        EvaluationFrame.objects.bulk_update(finished, ["detections", "seconds", "status", "error"])
        if any(counts.values()):
            Evaluation.objects.filter(pk=evaluation.pk).update(**{k: F(k) + n for k, n in counts.items()})
        progress_on_commit(evaluation)
    return len(finished)


def _job_grace() -> float:
    return float(settings.EVALUATION_JOB_GRACE_SECONDS)


def _jobs_release(evaluation: Evaluation) -> int:
    """Delete the evaluation's jobs that ended more than a grace ago; returns how many are left.

    The grace is EVALUATION_JOB_GRACE_SECONDS (3). The evaluation keeps the jobs' boxes and times; its
    jobs (purpose `evaluate`) are neither shown nor counted in the AI audit nor tracked on their own,
    and go once recorded so the frames keep no rows of them. The grace lets the worker finish with a
    job (its last read) before the row goes.
    """
    ended = DetectionJob.objects.filter(pk__in=EvaluationFrame.objects.filter(
        evaluation=evaluation, status__in=(FrameStatus.DONE, FrameStatus.FAILED), job__isnull=False).values("job"))
    cutoff = timezone.now() - timedelta(seconds=_job_grace())
    ids = list(ended.filter(finished_at__lte=cutoff).values_list("pk", flat=True))
    if ids:
        DetectionJob.objects.filter(pk__in=ids).delete()
    return ended.count() - len(ids)


def _detector_check(evaluation: Evaluation, job: DetectionJob) -> None:
    """The jobs must have run the configuration being evaluated (a worker may be swapped mid-run)."""
    ran = {"backend": job.backend, "model": job.model, "revision": job.revision}
    if not job.started_at:
        return
    expected = evaluation.detector.get("ran")
    if expected is None:
        Evaluation.objects.filter(pk=evaluation.pk).update(detector={**evaluation.detector, "ran": ran,
                                                                     "device": job.device})
        evaluation.detector = {**evaluation.detector, "ran": ran, "device": job.device}
        expected = ran
    asked = {k: getattr(evaluation, k) for k in ("model", "revision")}
    if evaluation.backend != "auto":
        asked["backend"] = evaluation.backend
    mismatch = {k: v for k, v in ran.items() if (k in asked and asked[k] and v != asked[k]) or v != expected[k]}
    if mismatch:
        raise InvalidInput(
            f"Frame {job.image_id} ran on {ran}, not the configuration being evaluated ({expected}); "
            "the inference workers changed detector during the evaluation."
        )


def _submit(evaluation: Evaluation) -> None:
    in_flight = EvaluationFrame.objects.filter(evaluation=evaluation, status=FrameStatus.SUBMITTED).count()
    room = _window() - in_flight
    if room <= 0:
        return
    prompts = _prompts_to_run(evaluation)
    pending = EvaluationFrame.objects.filter(evaluation=evaluation, status=FrameStatus.PENDING).select_related("image")
    for frame in pending.order_by("position")[: room * 2]:  # some frames may be busy with someone's job
        if room <= 0:
            break
        try:
            with transaction.atomic():
                job = job_submit(image=frame.image, user=evaluation.created_by, prompts=prompts,
                                 choice=evaluation.detector.get("choice") or None, purpose=JobPurpose.EVALUATE)
                frame.job, frame.status = job, FrameStatus.SUBMITTED
                frame.save(update_fields=["job", "status"])
        except Conflict:  # a person's detection is running on this frame: take it next round
            continue
        room -= 1


