"""Jobs whose worker is gone: re-queued once, else failed with what happened.

Job rows are the source of truth. A running job's worker beats `heartbeat_at`; a job whose
beat is older than `INFERENCE_JOB_STALE_SECONDS` lost its worker and is re-queued (up to
`INFERENCE_JOB_MAX_ATTEMPTS` attempts) or failed; the supervisor reports a child that died or
hung directly (`job_worker_lost`). The periodic work of the worker runs `jobs_reap_stale`.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inference.execution import job_dispatch
from inference.models import DetectionJob, JobStatus
from inference.services.job_state import job_fail, max_attempts

QUEUED_GIVE_UP_FACTOR = 10  # a job nobody picked up for 10 stale periods is failed, not retried forever


@transaction.atomic
def job_worker_lost(*, job_id: int, reason: str, retry: bool = True) -> str:
    """The process running `job_id` died or was stopped: re-queue the job once, else fail it.

    `reason` says what happened ("The detector process crashed on this frame (signal 11, SIGSEGV).");
    it becomes the job's `error`. A job is re-queued (and dispatched on commit) only when `retry`
    and it has attempts left (`INFERENCE_JOB_MAX_ATTEMPTS`, default 2: retried at most once).
    Returns "requeued", "failed", or "" when the job had already finished.
    """
    locked = DetectionJob.objects.select_for_update().filter(pk=job_id).first()
    if locked is None or locked.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        return ""
    attempts = max(locked.attempts, 1)
    if retry and locked.attempts < max_attempts():
        locked.status, locked.heartbeat_at = JobStatus.QUEUED, timezone.now()
        locked.error = f"Attempt {attempts}: {reason} Retrying on a fresh worker."
        locked.save(update_fields=["status", "heartbeat_at", "error"])
        transaction.on_commit(lambda: job_dispatch(job_id))
        return "requeued"
    note = f" Failed after {attempts} attempts." if attempts > 1 else ""
    job_fail(job_id=job_id, attempt=None, reason=f"{reason}{note}"[:2000])
    return "failed"


def jobs_reap_stale(*, stale_after: float | None = None, image_id: int | None = None) -> dict:
    """Re-queue or fail jobs whose worker stopped beating; re-send queued jobs nobody took.

    A running job with no heartbeat for `stale_after` seconds (default `INFERENCE_JOB_STALE_SECONDS`)
    is re-queued while it has attempts left, else failed with the reason; one running past
    `INFERENCE_JOB_TIMEOUT_SECONDS` is failed. Returns the job ids
    per outcome: `{"requeued": [...], "failed": [...], "resent": [...]}`.
    """
    stale_after = float(settings.INFERENCE_JOB_STALE_SECONDS if stale_after is None else stale_after)
    now = timezone.now()
    cutoff = now - timedelta(seconds=stale_after)
    outcome: dict[str, list[int]] = {"requeued": [], "failed": [], "resent": []}
    timeout = float(settings.INFERENCE_JOB_TIMEOUT_SECONDS)
    with transaction.atomic():
        # A job still beating but running past the timeout is hung in the detector: failed, not
        # retried (it would hang again). The stuck attempt then finds it no longer owns the row.
        hung = DetectionJob.objects.select_for_update(skip_locked=True).filter(
            status=JobStatus.RUNNING, started_at__lt=now - timedelta(seconds=timeout)
        )
        if image_id is not None:
            hung = hung.filter(image_id=image_id)
        for job in hung:
            reason = f"The detector ran longer than INFERENCE_JOB_TIMEOUT_SECONDS ({timeout:g} s) on this frame."
            job_fail(job_id=job.pk, attempt=job.attempts, reason=reason)
            outcome["failed"].append(job.pk)
        stale = DetectionJob.objects.select_for_update(skip_locked=True).filter(
            status__in=(JobStatus.QUEUED, JobStatus.RUNNING), heartbeat_at__lt=cutoff
        ).exclude(pk__in=outcome["failed"])
        if image_id is not None:
            stale = stale.filter(image_id=image_id)
        for job in stale:
            if job.status == JobStatus.RUNNING and job.attempts >= max_attempts():
                reason = (
                    f"The worker running this job stopped responding (no heartbeat for {stale_after:g} s) "
                    f"after {job.attempts} attempt(s)."
                )
                job_fail(job_id=job.pk, attempt=job.attempts, reason=reason)
                outcome["failed"].append(job.pk)
                continue
            if job.status == JobStatus.QUEUED and job.created_at < now - timedelta(seconds=stale_after * QUEUED_GIVE_UP_FACTOR):
                job_fail(job_id=job.pk, attempt=None, reason="No inference worker picked this job up; is one running?")
                outcome["failed"].append(job.pk)
                continue
            key = "requeued" if job.status == JobStatus.RUNNING else "resent"
            if key == "requeued":
                job.error = f"Attempt {job.attempts}: the worker stopped responding; retrying."
            job.status, job.heartbeat_at = JobStatus.QUEUED, now
            job.save(update_fields=["status", "heartbeat_at", "error"])
            transaction.on_commit(lambda pk=job.pk: job_dispatch(pk))
            outcome[key].append(job.pk)
    return outcome
