"""A job's ownership by one attempt and its end in failure, shared by the runners and the recovery.

An attempt owns a job while the row is `running` with its attempt number; the detection runner
(`services/jobs.py`), the propagation runner (`services/propagation.py`) and the recovery
(`services/job_recovery.py`: a dead worker, a stale heartbeat, a hang) all decide through these.

However a job fails, `job_fail` is where it happens, so a job kind that has more to say when it ends
(a propagation: its undo step and `track.done`) registers a failure handler here from its app's
`AppConfig.ready()`; this module imports no runner, so the runners can import it.
"""

from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from annotations.broadcast import broadcast_on_commit, image_group
from inference.models import DetectionJob, JobKind, JobPurpose, JobStatus
from inference.selectors import job_to_dict
from inference.tracking import detection_job_track


class JobLost(Exception):
    """This attempt no longer owns the job (the reaper re-queued or failed it)."""


_FAILURE_HANDLERS: dict[str, Callable[..., None]] = {}


def job_failure_register(kind: str, handler: Callable[..., None]) -> None:
    """Call `handler(job=<the failed job, row-locked>, reason=...)` whenever a job of `kind` is failed,
    in the failing transaction, right after its `detection.failed` is queued (so it reaches clients
    after it)."""
    _FAILURE_HANDLERS[str(kind)] = handler


def max_attempts() -> int:
    return int(settings.INFERENCE_JOB_MAX_ATTEMPTS)


def job_notify_on_commit(job: DetectionJob, message_type: str, payload: dict) -> None:
    """A job's `detection.*` message to the frame's viewers; an evaluation's jobs send none (its
    progress is `evaluation.progress` on the project's group)."""
    if job.purpose == JobPurpose.DETECT:
        broadcast_on_commit(image_group(job.image_id), message_type, payload)


def job_touch_owned(job: DetectionJob, attempt: int, **fields) -> None:
    """Write `fields` on the job if this attempt still owns it, else JobLost.

    One conditional UPDATE: it checks ownership and row-locks the job until commit, so the
    reaper (which locks the row too) never re-queues it between the check and the write.
    """
    owned = DetectionJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=attempt).update(**fields)
    if not owned:
        raise JobLost(job.pk)


@transaction.atomic
def job_fail(*, job_id: int, attempt: int | None, reason: str) -> bool:
    """Fail a job still held by `attempt` (None: whichever): `detection.failed`, then its kind's
    failure handler, if any. True when this call failed it."""
    locked = DetectionJob.objects.select_for_update().filter(pk=job_id).first()
    if locked is None or locked.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        return False
    if attempt is not None and locked.attempts != attempt:
        return False
    locked.status, locked.error, locked.finished_at = JobStatus.FAILED, reason, timezone.now()
    locked.save(update_fields=["status", "error", "finished_at"])
    job_notify_on_commit(
        locked, "detection.failed", {"image": locked.image_id, "job": job_to_dict(locked), "reason": reason}
    )
    if locked.purpose == JobPurpose.DETECT and locked.kind == JobKind.DETECT:  # a propagation has no detection run
        detection_job_track(job=locked)
    handler = _FAILURE_HANDLERS.get(locked.kind)
    if handler is not None:
        handler(job=locked, reason=reason)
    return True
