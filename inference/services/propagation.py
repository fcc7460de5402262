"""Track propagation jobs: follow a track's box from one frame over the next N frames, in the worker.

A propagation is a `DetectionJob` of `kind=propagate` (same rows, heartbeat, reaper, retry and
supervisor as detection; one active job per start frame). Submit checks and queues it; the
worker's `propagation_run` runs the tracker (inference/trackers, `INFERENCE_TRACKER`) frame after
frame and, for each frame, in one transaction: checks it still owns the job (a cancel or the
reaper took it → stop), writes the box (annotations/services/tracked_boxes.py) and sends, after
commit, `track.result` to that frame's group and the project's:

    {type: "track.result", job, track, image, frame_index, box: {...box JSON...}}

then, once it stops, `track.done` `{job, track, image: <start frame>, frames: <boxes written>,
stopped}` to the project's group and the start and last frames' groups, with `stopped` one of
`lost` (the tracker lost the object: left the view, occluded, collapsed), `end` (the sequence
ended, or a frame where a person's box or a locked frame stops it), `done` (all N frames),
`cancelled`. A job that fails here (the tracker or a frame raised) sends `detection.failed` on
its start frame, as detection does, then the same `track.done` with `stopped: "failed"` and the
`reason`, so a client following the project's socket sees the propagation end too. A job whose
worker crashed, hung or was killed ends the same way: whoever fails a job (this runner, or the
recovery in services/job_recovery.py) goes through `job_state.job_fail`, which calls
`propagation_failed`, registered for `kind=propagate` in InferenceConfig.ready(). It reads what
the run wrote from the job row (`progress`: frames, event ids, last frame, updated with each frame's
box in that frame's transaction), not from the runner's memory, which a crash takes with it.
All of a propagation's writes are one undo step for its author, a failed one's too, and so are
those of an attempt that crashed before a retry finished the job.
"""

import logging
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotations.broadcast import broadcast_on_commit, image_group, project_group
from annotations.errors import Conflict, InvalidInput
from annotations.models import Box, Image, Track
from annotations.selectors.boxes import box_to_dict
from annotations.selectors.tracks import frames_after
from annotations.services.tracked_boxes import tracked_box_write, tracked_boxes_group
from annotations.services.tracks import track_broadcast
from inference.execution import Heartbeat, job_dispatch
from inference.frames import frame_read, frames_read_ahead
from inference.models import DetectionJob, JobKind, JobStatus
from inference.selectors import job_active_for_image
from inference.services.job_state import JobLost, job_fail, job_failure_register, job_touch_owned
from inference.trackers import tracker_create

logger = logging.getLogger(__name__)


def max_frames() -> int:
    return int(settings.INFERENCE_PROPAGATE_MAX_FRAMES)


def propagation_submit(*, track: Track, from_image: Image, frames: int, user) -> DetectionJob:
    """Queue "track forward `frames` frames from `from_image`" and hand it to a worker on commit.

    400 when the frame is not in the track's project or sequence, when the track has no box on it
    to start from, or when `frames` is outside 1…INFERENCE_PROPAGATE_MAX_FRAMES; 409 when a job is
    already active on the frame.
    """
    if from_image.project_id != track.project_id:
        raise InvalidInput("The frame belongs to another project than the track.", from_image=["Unknown frame."])
    if track.sequence_id is not None and from_image.sequence_id != track.sequence_id:
        raise InvalidInput(f"Track #{track.number} follows another sequence than this frame's.",
                           from_image=["The frame is not in the track's sequence."])
    if not 1 <= frames <= max_frames():
        raise InvalidInput(f"frames must be between 1 and {max_frames()}.", frames=[f"Between 1 and {max_frames()}."])
    if not Box.objects.filter(track=track, image=from_image, deleted=False).exists():
        raise InvalidInput(f"Track #{track.number} has no box on this frame to start from.",
                           from_image=["Draw or pick the track's box on this frame first."])
    tracker = settings.INFERENCE_TRACKER
    try:
        with transaction.atomic():
            job = DetectionJob.objects.create(
                image=from_image, kind=JobKind.PROPAGATE, track=track, frames=frames, backend="opencv",
                model=f"Tracker{tracker.upper()}", created_by=user, heartbeat_at=timezone.now(),
            )
    except IntegrityError:
        active = job_active_for_image(image_id=from_image.pk)
        raise Conflict("A job is already queued or running on this frame; wait for it to finish.",
                       job=active.pk if active else None) from None
    transaction.on_commit(lambda: job_dispatch(job.pk))
    return job


def propagation_run(*, job_id: int) -> DetectionJob | None:
    """Run a queued propagation job in this (worker) process; None when it was not queued."""
    job = _claim(job_id)
    if job is None:
        return None
    attempt = job.attempts
    stale = float(settings.INFERENCE_JOB_STALE_SECONDS)
    # An earlier attempt's writes (its worker died, the job was re-queued) join this one's undo step.
    progress = {"frames": 0, "events": list(job.progress.get("events", [])), "last": job.image_id}
    try:
        with Heartbeat(job_id=job.pk, attempt=attempt, interval=max(0.2, stale / 4)):
            stopped = _propagate(job=job, attempt=attempt, progress=progress)
        _finish(job=job, attempt=attempt, stopped=stopped, progress=progress)
    except JobLost:
        if DetectionJob.objects.filter(pk=job.pk, status=JobStatus.CANCELLED).exists():
            with transaction.atomic():
                _done_broadcast(job=job, stopped="cancelled", progress=progress)
        else:
            logger.warning("Propagation job %s attempt %s was taken over by the reaper", job_id, attempt)
    except Exception as error:  # any failure becomes the job's reason, shown to the user
        logger.exception("Propagation job %s failed", job_id)
        reason = (str(error) or type(error).__name__)[:2000]
        job_fail(job_id=job.pk, attempt=attempt, reason=reason)  # then propagation_failed, as after a crash
    return DetectionJob.objects.get(pk=job.pk)


@transaction.atomic
def _claim(job_id: int) -> DetectionJob | None:
    job = (
        DetectionJob.objects.select_for_update(of=("self",))
        .select_related("image", "track__label", "created_by")
        .filter(pk=job_id, kind=JobKind.PROPAGATE)
        .first()
    )
    if job is None or job.status != JobStatus.QUEUED:
        return None
    now = timezone.now()
    job.status, job.attempts, job.started_at, job.heartbeat_at = JobStatus.RUNNING, job.attempts + 1, now, now
    job.save(update_fields=["status", "attempts", "started_at", "heartbeat_at"])
    return job


def _propagate(*, job: DetectionJob, attempt: int, progress: dict) -> str:
    track, start = job.track, job.image
    if track is None:
        raise RuntimeError("The track was deleted before its propagation started.")
    first = Box.objects.filter(track=track, image=start, deleted=False).first()
    if first is None:
        raise RuntimeError(f"Track #{track.number} no longer has a box on the frame it was to start from.")
    frames = frames_after(start, job.frames)
    tracker = tracker_create()
    tracker.start(frame_read(start), (first.x_min, first.y_min, first.x_max, first.y_max))
    spent = 0.0
    for image, frame in frames_read_ahead(frames):
        began = time.perf_counter()
        step = tracker.step(frame)
        spent += time.perf_counter() - began
        if step.lost:
            return "lost"
        if not _store(job=job, attempt=attempt, image=image, coords=step.box, progress=progress, seconds=spent):
            return "end"
    return "done" if len(frames) == job.frames else "end"


@transaction.atomic
def _store(*, job, attempt, image: Image, coords, progress: dict, seconds: float) -> bool:
    """One frame's box, written and announced in one transaction; False when the frame stops it."""
    timings = {"frames": progress["frames"] + 1, "tracker": round(seconds, 6)}
    job_touch_owned(job, attempt, timings=timings, heartbeat_at=timezone.now())  # locks the job: a cancel waits
    box, events = tracked_box_write(track=job.track, image=image, coords=coords, user=job.created_by)
    if box is None:
        transaction.set_rollback(True)  # nothing written: the job's figures stay as they were
        return False
    progress["frames"], progress["last"] = timings["frames"], image.pk
    progress["events"] += events
    job.timings = timings
    DetectionJob.objects.filter(pk=job.pk).update(progress=progress)  # what a crash would otherwise lose
    payload = {"job": job.pk, "track": job.track_id, "image": image.pk, "frame_index": image.frame_index,
               "box": box_to_dict(box)}
    broadcast_on_commit(image_group(image.pk), "track.result", payload)
    broadcast_on_commit(project_group(job.track.project_id), "track.result", payload)
    return True


@transaction.atomic
def _finish(*, job, attempt, stopped: str, progress: dict) -> None:
    job.status, job.finished_at = JobStatus.DONE, timezone.now()
    job.timings = {**job.timings, "stopped": stopped}
    job_touch_owned(job, attempt, status=job.status, finished_at=job.finished_at, timings=job.timings)
    _done_broadcast(job=job, stopped=stopped, progress=progress)


def propagation_failed(*, job: DetectionJob, reason: str) -> None:
    """End a failed propagation, however it failed (its run raised; its worker crashed, hung or was
    killed): its writes one undo step and `track.done {stopped: "failed", reason}`, from the job row's
    `progress`. `job_fail` calls it, in the failing transaction, after `detection.failed`."""
    progress = {"frames": 0, "events": [], "last": job.image_id, **job.progress}
    _done_broadcast(job=job, stopped="failed", progress=progress, reason=reason)


def propagation_register() -> None:
    """Have `job_fail` end propagations through `propagation_failed` (from InferenceConfig.ready())."""
    job_failure_register(JobKind.PROPAGATE, propagation_failed)


def _done_broadcast(*, job, stopped: str, progress: dict, reason: str | None = None) -> None:
    """`track.done` after commit (and the propagation's writes made one undo step, the track's new
    range announced as `track.updated`); a failed one's also carries the `reason`."""
    if progress["events"]:
        tracked_boxes_group(event_ids=progress["events"], image_id=job.image_id, track_id=job.track_id,
                            user=job.created_by)
    if job.track_id is not None and progress["frames"]:
        track_broadcast(track_id=job.track_id, project_id=job.track.project_id, user=job.created_by)
    payload = {"job": job.pk, "track": job.track_id, "image": job.image_id, "frames": progress["frames"],
               "stopped": stopped}
    if reason is not None:
        payload["reason"] = reason
    project_id = job.track.project_id if job.track_id else job.image.project_id
    for group in dict.fromkeys([project_group(project_id), image_group(job.image_id), image_group(progress["last"])]):
        broadcast_on_commit(group, "track.done", payload)
