"""Detection jobs: submit (check → create → dispatch on commit) and run (stream per prompt).

Each prompt's predictions are written in one transaction together with its timing, so a retry
skips the prompts already stored and never duplicates a prediction (the (job, prompt, rank)
constraint holds it as well). A job that lost its worker is recovered by `services/job_recovery.py`;
who owns a running job, and failing it, is `services/job_state.py`.
"""

import logging
import time
from contextlib import closing

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image as PILImage

from annotations.errors import Conflict, InvalidInput
from annotations.models import Image, Label
from inference.detectors import DetectorChoiceInvalid, choice_normalise, detector_described, get_detector
from inference.detectors.base import UnsupportedPrompt
from inference.execution import Heartbeat, job_dispatch
from inference.models import DetectionJob, JobKind, JobPurpose, JobStatus, Prediction
from inference.prompts import prompts_default, prompts_parse
from inference.selectors import job_active_for_image, job_to_dict, labels_by_prompt, prediction_to_dict
from inference.services.job_state import JobLost, job_fail, job_notify_on_commit, job_touch_owned
from inference.services.superseding import predictions_supersede
from inference.services.track_matching import predictions_link_tracks
from inference.status import detector_status
from inference.tracking import detection_job_track

logger = logging.getLogger(__name__)


def job_submit(*, image: Image, user, prompts=None, choice: dict | None = None,
               purpose: str = JobPurpose.DETECT) -> DetectionJob:
    """Queue a detection job on a frame and hand it to a worker once committed.

    `prompts`: a list or a comma-separated string; none → the project's label prompts. Invalid
    or (for a closed-vocabulary backend) unsupported prompts → InvalidInput (400) naming them;
    a job already queued or running on the frame → Conflict (409), even when its worker died:
    the periodic reaper (`inference.periodic`) frees the frame, never a request.
    `choice` (`{backend, model, revision}`): run that detector instead of the workers' configured
    one (a bad choice → InvalidInput); `purpose` `evaluate`: an evaluation's job, not broadcast.
    """
    asked = prompts not in (None, "", [])  # the labels are read only to default the prompts
    labels = [] if asked else list(Label.objects.filter(project_id=image.project_id).order_by("id"))
    parsed = prompts_parse(prompts, defaults=prompts_default(labels))
    try:
        choice = choice_normalise(choice, collapse=False)
    except DetectorChoiceInvalid as error:
        raise InvalidInput(str(error), backend=[str(error)]) from None
    # The chosen detector, or the workers' when they run the jobs.
    info = detector_described(choice) if choice else detector_status()
    supported = info.get("supported_prompts")
    unknown = [p for p in parsed if supported is not None and p not in supported]
    if unknown:
        error = UnsupportedPrompt(unknown, supported)
        raise InvalidInput(str(error), prompts=[str(error)], supported=list(supported))
    try:
        with transaction.atomic():
            job = DetectionJob.objects.create(
                image=image,
                prompts=parsed,
                purpose=purpose,
                choice=choice,
                backend=info.get("backend", "")[:32],
                model=str(info.get("model", ""))[:200],
                revision=str(info.get("revision", ""))[:100],
                device=str(info.get("device", ""))[:16],
                created_by=user,
                heartbeat_at=timezone.now(),
            )
    except IntegrityError:
        active = job_active_for_image(image_id=image.pk)
        raise Conflict(
            "A detection job is already queued or running on this frame; wait for it to finish.",
            job=active.pk if active else None,
        ) from None
    transaction.on_commit(lambda: job_dispatch(job.pk))
    return job


def job_run(*, job_id: int) -> DetectionJob | None:
    """Run a queued job: stream each prompt's predictions, then mark it done or failed.

    Returns None when the job is gone or no longer queued (another worker has it), so a
    duplicated `job.run` message is harmless.
    """
    job, detector = _job_claim(job_id=job_id)
    if job is None:
        return None
    attempt = job.attempts
    stale = float(settings.INFERENCE_JOB_STALE_SECONDS)
    try:
        with Heartbeat(job_id=job.pk, attempt=attempt, interval=max(0.2, stale / 4)):
            _job_execute(job=job, attempt=attempt, detector=detector)
    except JobLost:
        logger.warning("Job %s attempt %s was taken over by the reaper", job_id, attempt)
    except Exception as error:  # any failure becomes the job's reason, shown to the user
        logger.exception("Detection job %s failed", job_id)
        reason = str(error) if str(error) else type(error).__name__
        job_fail(job_id=job.pk, attempt=attempt, reason=reason[:2000])
    return DetectionJob.objects.get(pk=job.pk)


def _detector_for(job: DetectionJob):
    """The job's chosen detector (cached per choice in this process), else the configured one."""
    return get_detector(job.choice) if job.choice else get_detector()


@transaction.atomic
def _job_claim(*, job_id: int) -> tuple[DetectionJob | None, object]:
    # The frame, its project and the author come along: the run and its tracking read them.
    job = (
        DetectionJob.objects.select_for_update(of=("self",))
        .select_related("image__project", "created_by")
        .filter(pk=job_id, kind=JobKind.DETECT)  # a propagation runs in services/propagation.py
        .first()
    )
    if job is None or job.status != JobStatus.QUEUED:
        return None, None
    try:
        detector = _detector_for(job)
    except Exception as error:  # a choice this worker cannot build (settings changed since): the job's reason
        reason = f"The detector this job chose cannot run here: {error}"[:2000]
        job_fail(job_id=job.pk, attempt=None, reason=reason)
        return None, None
    info = detector.status()
    now = timezone.now()
    job.status, job.attempts, job.started_at, job.heartbeat_at = JobStatus.RUNNING, job.attempts + 1, now, now
    job.backend, job.model = info.get("backend", "")[:32], str(info.get("model", ""))[:200]
    job.revision, job.device = str(info.get("revision", ""))[:100], str(info.get("device", ""))[:16]
    job.save()
    job_notify_on_commit(job, "detection.started", {"image": job.image_id, "job": job_to_dict(job)})
    return job, detector


def _open_image(image: Image):
    with image.file.open("rb") as handle:
        picture = PILImage.open(handle)
        picture.load()
    # convert() copies even an RGB frame: on 80 megapixels that copy alone is 240 MB.
    return picture if picture.mode == "RGB" else picture.convert("RGB")


def _job_execute(*, job: DetectionJob, attempt: int, detector) -> None:
    image = job.image
    # An evaluation maps its boxes to labels by prompt when it scores them: no label lookup per frame.
    labels = labels_by_prompt(project_id=image.project_id) if job.purpose == JobPurpose.DETECT else {}
    prompts = list(job.prompts)
    stored = dict(job.timings.get("prompts", {}))
    job.counts = {}
    for index, prompt in enumerate(prompts):  # a retry first re-sends what was already stored
        if prompt in stored:
            predictions = list(Prediction.objects.filter(job=job, prompt=prompt).order_by("rank"))
            job.counts[prompt] = len(predictions)
            _result_broadcast(job=job, prompt=prompt, index=index, predictions=predictions, seconds=stored[prompt])
    remaining = [p for p in prompts if p not in stored]
    picture = _open_image(image)
    stats: dict = {}
    started = last = time.perf_counter()
    with closing(detector.detect(picture, remaining, stats=stats)) as results:
        for prompt, detections in results:
            now = time.perf_counter()
            seconds = now - last - (stats.get("encode_seconds", 0.0) if last == started else 0.0)
            _prompt_store(
                job=job, attempt=attempt, prompt=prompt, index=prompts.index(prompt), detections=detections,
                label=labels.get(prompt), seconds=seconds, stats=stats,
            )
            last = time.perf_counter()
    _job_finish(job=job, attempt=attempt, total=time.perf_counter() - started, detector=detector)


@transaction.atomic
def _prompt_store(*, job, attempt, prompt, index, detections, label, seconds, stats) -> None:
    timings = dict(job.timings)  # only the owning attempt writes timings, so its copy is current
    timings["prompts"] = {**timings.get("prompts", {}), prompt: round(seconds, 6)}
    if stats.get("encode_calls") and not stats.get("_counted"):
        stats["_counted"] = True  # one encode per detect() call, counted once even over many prompts
        timings["encode"] = round(stats.get("encode_seconds", 0.0), 6)
        timings["encode_calls"] = timings.get("encode_calls", 0) + stats["encode_calls"]
    job_touch_owned(job, attempt, timings=timings, heartbeat_at=timezone.now())
    predictions_supersede(job=job, prompt=prompt)  # a new run replaces the frame's undecided boxes of this prompt
    if attempt > 1:  # a retry replaces whatever an earlier attempt left for this prompt
        Prediction.objects.filter(job_id=job.pk, prompt=prompt, status="pending").delete()
    predictions = Prediction.objects.bulk_create(
        Prediction(
            job_id=job.pk, image_id=job.image_id, label=label, prompt=prompt, rank=rank,
            x_min=d.x_min, y_min=d.y_min, x_max=d.x_max, y_max=d.y_max, score=d.score,
        )
        for rank, d in enumerate(detections)
    )
    if job.purpose == JobPurpose.DETECT:  # before the broadcast: the streamed boxes carry their track
        predictions_link_tracks(image=job.image, predictions=predictions)
    job.timings = timings
    job.counts = {**getattr(job, "counts", {}), prompt: len(predictions)}
    _result_broadcast(job=job, prompt=prompt, index=index, predictions=predictions, seconds=seconds)


def _result_broadcast(*, job, prompt, index, predictions, seconds) -> None:
    payload = {
        "image": job.image_id,
        "job": job.pk,
        "prompt": prompt,
        "index": index,
        "total": len(job.prompts),
        "predictions": [prediction_to_dict(p) for p in predictions],
        "seconds": round(seconds, 6),
    }
    job_notify_on_commit(job, "detection.result", payload)


@transaction.atomic
def _job_finish(*, job, attempt, total, detector) -> None:
    info = detector.status()
    job.status, job.finished_at = JobStatus.DONE, timezone.now()
    job.device = str(info.get("device", job.device))[:16]
    job.timings = {**job.timings, "total": round(total, 6)}
    job_touch_owned(job, attempt, status=job.status, finished_at=job.finished_at, device=job.device, timings=job.timings)
    counts = {prompt: job.counts.get(prompt, 0) for prompt in job.prompts}
    job_notify_on_commit(job, "detection.done", {"image": job.image_id, "job": job_to_dict(job), "counts": counts})
    if job.purpose == JobPurpose.DETECT:  # an evaluation's jobs are logged in its own run
        detection_job_track(job=job)  # in this transaction: a done job always has its run queued, exactly once
