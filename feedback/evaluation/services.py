"""Evaluations: create (check → row), run (one detection job per frame), cancel, resume, finish.

The driver (`evaluation_run`) only submits jobs and reads their results: detectors run
wherever detection jobs run (the inference workers). It keeps at most `EVALUATION_WINDOW`
frames in flight, so a cancel stops it within one frame per worker, and records each
frame's detections as the frame's job finishes: a resumed evaluation never re-runs a
`done` frame. The row's `heartbeat_at` tells a live driver from a dead one.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotations.broadcast import broadcast_on_commit, project_group
from annotations.errors import Conflict, InvalidInput
from annotations.models import Label
from feedback.evaluation.ground_truth import dataset_for_evaluation, ground_truth_build, ground_truth_only_frames
from feedback.evaluation.models import (
    ACTIVE_EVALUATION_STATUSES,
    Evaluation,
    EvaluationFrame,
    EvaluationStatus,
    FrameStatus,
)
from feedback.evaluation.options import evaluation_options_check
from feedback.evaluation.scoring import coco_score
from feedback.evaluation.selectors import evaluation_progress
from feedback.evaluation.tracking import evaluation_track
from inference.models import DetectionJob, JobStatus, Prediction
from inference.services import job_submit
from tracking.models import TrackingOutbox
from tracking.outbox import outbox_flush

logger = logging.getLogger(__name__)
STALE_SECONDS = 30  # a running evaluation whose driver has not beaten for this long may be resumed


def _window() -> int:
    return max(1, int(settings.EVALUATION_WINDOW))


def _progress_on_commit(evaluation: Evaluation) -> None:
    broadcast_on_commit(project_group(evaluation.project_id), "evaluation.progress",
                        lambda: evaluation_progress(evaluation_id=evaluation.pk))


@transaction.atomic
def evaluation_create(*, project, user, backend=None, model="", revision="", prompts=None, only="approved",
                      dataset=None, limit=None, prompt_candidates=None) -> Evaluation:
    """Check every option (400 naming the bad one, nothing created) and queue the evaluation.

    The frames, the dataset version (a DVC export made now when none is given) and the jobs
    come when it runs (`evaluation_run`).
    """
    options = evaluation_options_check(project=project, backend=backend, model=model, revision=revision,
                                       prompts=prompts, only=only, dataset=dataset, limit=limit,
                                       prompt_candidates=prompt_candidates)
    evaluation = Evaluation.objects.create(
        project=project, backend=options.backend, model=options.model, revision=options.revision,
        prompts=options.prompts, prompt_candidates=options.prompt_candidates, only=options.only, limit=options.limit, dataset_version=options.dataset_version,
        detector={**options.detector, "unsupported_labels": options.unsupported}, created_by=user,
    )
    _progress_on_commit(evaluation)
    return evaluation


def evaluation_cancel(*, evaluation: Evaluation) -> Evaluation:
    """Stop a queued or running evaluation; its finished frames are kept for a resume."""
    with transaction.atomic():
        locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        if locked.status not in ACTIVE_EVALUATION_STATUSES:
            raise Conflict(f"The evaluation is {locked.status}; only a queued or running one can be cancelled.")
        locked.status, locked.finished_at = EvaluationStatus.CANCELLED, timezone.now()
        locked.save(update_fields=["status", "finished_at"])
        _progress_on_commit(locked)
    return locked


def evaluation_resume(*, evaluation: Evaluation) -> Evaluation:
    """Queue a cancelled, failed or orphaned (driver gone) evaluation again; done frames stay done."""
    with transaction.atomic():
        locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        stale = timezone.now() - timedelta(seconds=STALE_SECONDS)
        orphaned = locked.status == EvaluationStatus.RUNNING and (locked.heartbeat_at or locked.created_at) < stale
        if locked.status not in (EvaluationStatus.CANCELLED, EvaluationStatus.FAILED, EvaluationStatus.QUEUED) \
                and not orphaned:
            raise Conflict(f"The evaluation is {locked.status}; only a cancelled, failed or stalled one can resume.")
        locked.status, locked.error, locked.finished_at = EvaluationStatus.QUEUED, "", None
        locked.save(update_fields=["status", "error", "finished_at"])
        EvaluationFrame.objects.filter(evaluation=locked, status=FrameStatus.FAILED).update(
            status=FrameStatus.PENDING, job=None, error="")
        _progress_on_commit(locked)
    return locked


def _claim(evaluation_id: int) -> Evaluation | None:
    with transaction.atomic():
        evaluation = Evaluation.objects.select_for_update().filter(pk=evaluation_id).first()
        if evaluation is None or evaluation.status != EvaluationStatus.QUEUED:
            return None
        now = timezone.now()
        evaluation.status, evaluation.heartbeat_at = EvaluationStatus.RUNNING, now
        evaluation.started_at = evaluation.started_at or now
        evaluation.save(update_fields=["status", "heartbeat_at", "started_at"])
        _progress_on_commit(evaluation)
    return evaluation


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


POLL_MAX_SECONDS = 0.5  # the window keeps the workers fed, so a quiet driver can wait this long


def evaluation_run(*, evaluation_id: int, progress=None, poll: float = 0.05, idle=None) -> Evaluation | None:
    """Drive a queued evaluation to its end (done, failed or cancelled); None if it was not queued.

    `progress(done, total)` is called as frames finish (the command's tqdm bar); `idle()` runs
    between rounds (default: sleep while the workers run the jobs, from `poll` seconds doubling
    up to POLL_MAX_SECONDS while no frame finishes, so the driver takes no CPU from them).
    """
    evaluation = _claim(evaluation_id)
    if evaluation is None:
        return None
    try:
        if evaluation.ground_truth is None:
            _prepare(evaluation)
        wait = poll
        while True:
            finished, changed = _round(evaluation, progress)
            if finished:
                break
            if idle is not None:
                idle()
                continue
            time.sleep(wait)
            wait = poll if changed else min(POLL_MAX_SECONDS, wait * 2)
    except Exception as error:  # any failure becomes the evaluation's reason, shown to the user
        logger.exception("Evaluation %s failed", evaluation_id)
        _fail(evaluation, getattr(error, "detail", None) or str(error) or type(error).__name__)
    return Evaluation.objects.get(pk=evaluation_id)


def _round(evaluation: Evaluation, progress) -> tuple[bool, bool]:
    """One round: beat, collect finished jobs, submit up to the window; (ended, some frame finished)."""
    beat = Evaluation.objects.filter(pk=evaluation.pk, status=EvaluationStatus.RUNNING)
    if not beat.update(heartbeat_at=timezone.now()):
        return True, False  # cancelled (or taken over): stop here, finished frames are kept
    changed = _collect(evaluation)
    _jobs_release(evaluation)
    open_frames = EvaluationFrame.objects.filter(evaluation=evaluation, status__in=(FrameStatus.PENDING,
                                                                                      FrameStatus.SUBMITTED))
    if not open_frames.exists():
        while _jobs_release(evaluation):  # the last jobs' grace: at most EVALUATION_JOB_GRACE_SECONDS
            time.sleep(0.2)
        _finish(evaluation)
        return True, bool(changed)
    _submit(evaluation)
    if changed:
        evaluation.refresh_from_db(fields=["frames_done", "frames_failed", "frames"])
        if progress is not None:
            progress(evaluation.frames_done + evaluation.frames_failed, evaluation.frames)
    return False, bool(changed)


def _prompts_by_label_id(evaluation: Evaluation, prompts: dict | None = None) -> dict[str, list[int]]:
    """{prompt: [label ids]} for the label → prompt map `prompts` (default: the evaluation's)."""
    ids = dict(Label.objects.filter(project_id=evaluation.project_id).values_list("name", "id"))
    by_prompt: dict[str, list[int]] = {}
    for name, prompt in (prompts or evaluation.prompts).items():
        if name in ids and name not in evaluation.detector.get("unsupported_labels", ()):
            by_prompt.setdefault(prompt, []).append(ids[name])
    return by_prompt


def _prompts_to_run(evaluation: Evaluation) -> list[str]:
    """Every prompt a frame's job asks: the configuration's, then the prompt-search candidates."""
    prompts = list(_prompts_by_label_id(evaluation))
    for candidates in evaluation.prompt_candidates.values():
        prompts.extend(c for c in candidates if c not in prompts)
    return prompts


def _collect(evaluation: Evaluation) -> int:
    """Record every submitted frame whose job has ended; returns how many."""
    finished = list(
        EvaluationFrame.objects.filter(evaluation=evaluation, status=FrameStatus.SUBMITTED)
        .exclude(job__status__in=(JobStatus.QUEUED, JobStatus.RUNNING))
        .select_related("job")
    )
    if not finished:
        return 0
    for frame in finished:
        with transaction.atomic():
            job = frame.job
            if job is None:  # the job row is gone: run the frame again
                frame.status = FrameStatus.PENDING
                frame.save(update_fields=["status"])
                continue
            _detector_check(evaluation, job)
            if job.status == JobStatus.DONE:
                frame.detections = [  # per prompt: the labels are assigned when scoring (prompt search)
                    [prompt, x0, y0, x1 - x0, y1 - y0, score]
                    for prompt, x0, y0, x1, y1, score in Prediction.objects.filter(job=job).order_by("prompt", "rank")
                    .values_list("prompt", "x_min", "y_min", "x_max", "y_max", "score")
                ]
                frame.seconds, frame.status = (job.timings or {}).get("total"), FrameStatus.DONE
                counter = "frames_done"
            else:
                frame.status, frame.error = FrameStatus.FAILED, job.error[:2000]
                counter = "frames_failed"
            frame.save(update_fields=["detections", "seconds", "status", "error"])
            Evaluation.objects.filter(pk=evaluation.pk).update(**{counter: F(counter) + 1})
    _progress_on_commit(evaluation)
    return len(finished)


def _job_grace() -> float:
    return float(settings.EVALUATION_JOB_GRACE_SECONDS)


def _jobs_release(evaluation: Evaluation) -> int:
    """Delete the evaluation's jobs that ended more than a grace ago; returns how many are left.

    The grace is EVALUATION_JOB_GRACE_SECONDS (3). The evaluation keeps the jobs' boxes and times: its
    jobs must not count as pre-annotation in the AI audit, leave AI boxes on the frames, or each
    make an MLflow run. The grace lets the worker finish with a job (its last read, its run queued
    after commit) before the row goes.
    """
    ended = DetectionJob.objects.filter(pk__in=EvaluationFrame.objects.filter(
        evaluation=evaluation, status__in=(FrameStatus.DONE, FrameStatus.FAILED), job__isnull=False).values("job"))
    cutoff = timezone.now() - timedelta(seconds=_job_grace())
    ids = list(ended.filter(finished_at__lte=cutoff).values_list("pk", flat=True))
    if ids:
        TrackingOutbox.objects.filter(key__in=[f"detection_job:{pk}" for pk in ids], sent_at__isnull=True).delete()
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
                job = job_submit(image=frame.image, user=evaluation.created_by, prompts=prompts)
                frame.job, frame.status = job, FrameStatus.SUBMITTED
                frame.save(update_fields=["job", "status"])
        except Conflict:  # a person's detection is running on this frame: take it next round
            continue
        room -= 1


def _fail(evaluation: Evaluation, reason: str) -> None:
    Evaluation.objects.filter(pk=evaluation.pk, status__in=ACTIVE_EVALUATION_STATUSES).update(
        status=EvaluationStatus.FAILED, error=str(reason)[:2000], finished_at=timezone.now())
    with transaction.atomic():
        _progress_on_commit(evaluation)


def evaluation_detections(*, evaluation: Evaluation, prompts: dict | None = None) -> tuple[list[dict], list[int]]:
    """(COCO results of the done frames under the label → prompt map `prompts` (default: the
    evaluation's), score 1.0 where the model gave none; their image ids)."""
    labels = _prompts_by_label_id(evaluation, prompts)
    detections, done = [], []
    rows = EvaluationFrame.objects.filter(evaluation=evaluation, status=FrameStatus.DONE).order_by("position")
    for image_id, boxes in rows.values_list("image_id", "detections"):
        done.append(image_id)
        detections.extend(
            {"image_id": image_id, "category_id": label_id, "bbox": [x, y, w, h], "score": 1.0 if score is None else score}
            for prompt, x, y, w, h, score in boxes
            for label_id in labels.get(prompt, ())
        )
    return detections, done


def prompt_search(*, evaluation: Evaluation, truth: dict, scores: dict) -> dict:
    """Per label with candidates: AP50 of each candidate prompt (the other labels as configured),
    the best one and its gain over the configured prompt. Every candidate ran on every frame in
    the same jobs, so this costs scoring only."""
    out = {}
    for label, candidates in evaluation.prompt_candidates.items():
        current = evaluation.prompts[label]
        aps = {current: scores["ap_50"].get(label)}
        for candidate in candidates:
            if candidate not in aps:
                found, _ = evaluation_detections(evaluation=evaluation, prompts={**evaluation.prompts, label: candidate})
                aps[candidate] = coco_score(ground_truth=truth, detections=found)["ap_50"].get(label)
        best = max(aps, key=lambda p: (aps[p] if aps[p] is not None else -1, p == current))
        gain = aps[best] - aps[current] if aps[best] is not None and aps[current] is not None else None
        out[label] = {"current": current, "ap_50": aps, "best": best, "gain": gain}
    return out


def _finish(evaluation: Evaluation) -> None:
    evaluation.refresh_from_db()
    detections, done = evaluation_detections(evaluation=evaluation)
    if not done:
        _fail(evaluation, "No frame could be evaluated: every detection job failed (see the frames' errors).")
        return
    truth = ground_truth_only_frames(evaluation.ground_truth, done)
    scores = coco_score(ground_truth=truth, detections=detections)
    seconds = list(EvaluationFrame.objects.filter(evaluation=evaluation, status=FrameStatus.DONE,
                                                  seconds__isnull=False).values_list("seconds", flat=True))
    now = timezone.now()
    wall = (now - evaluation.started_at).total_seconds() if evaluation.started_at else None
    if evaluation.prompt_candidates:
        scores["prompt_search"] = prompt_search(evaluation=evaluation, truth=truth, scores=scores)
    scores.update(
        seconds_per_frame=sum(seconds) / len(seconds) if seconds else None,
        wall_seconds=wall,
        frames=len(done),
        frames_failed=evaluation.frames_failed,
        unsupported_labels=evaluation.detector.get("unsupported_labels", []),
    )
    with transaction.atomic():
        locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        if locked.status != EvaluationStatus.RUNNING:
            return
        locked.metrics = {k: v for k, v in scores.items() if k not in ("pr_curves", "disagreement")}
        locked.status, locked.finished_at = EvaluationStatus.DONE, now
        locked.save(update_fields=["metrics", "status", "finished_at"])
        key = evaluation_track(evaluation=locked, scores=scores, ground_truth=truth, detections=detections)
        _progress_on_commit(locked)
    evaluation_flush(key=key)


def evaluation_flush(*, key: str) -> None:
    """Send the evaluation's run now (a down MLflow leaves it to the periodic flush)."""
    try:
        outbox_flush(keys=[key])
    except Exception:
        logger.exception("Sending the evaluation run %s to MLflow failed; it stays in the outbox", key)
