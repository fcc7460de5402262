"""Cancel a queued or running job (detection or propagation) and run one by its kind.

Cancelling marks the row `cancelled` under its lock. A worker running the job finds at its next
write (one prompt, or one frame) that it no longer owns it and stops there; nothing it computes
after the cancel is stored. A propagation's worker then sends `track.done {stopped: "cancelled"}`
itself, after the last `track.result` it committed, so viewers see them in order; a job nobody
had started yet gets it from here. A detection job's viewers get `detection.failed` with the reason.
"""

from django.db import transaction
from django.utils import timezone

from annotations.broadcast import broadcast_on_commit, image_group, project_group
from annotations.errors import Conflict
from inference.models import ACTIVE_JOB_STATUSES, DetectionJob, JobKind, JobPurpose, JobStatus
from inference.selectors import job_to_dict
from inference.services.jobs import job_run
from inference.services.propagation import propagation_run


def job_execute(*, job_id: int) -> DetectionJob | None:
    """Run a queued job of either kind in this (worker) process."""
    kind = DetectionJob.objects.filter(pk=job_id).values_list("kind", flat=True).first()
    if kind == JobKind.PROPAGATE:
        return propagation_run(job_id=job_id)
    return job_run(job_id=job_id)


@transaction.atomic
def job_cancel(*, job: DetectionJob, user) -> DetectionJob:
    """Cancel `job`; 409 when it is already over."""
    locked = DetectionJob.objects.select_for_update(of=("self",)).select_related("image").get(pk=job.pk)
    if locked.status not in ACTIVE_JOB_STATUSES:
        raise Conflict(f"The job is {locked.status}; only a queued or running job can be cancelled.",
                       job=job_to_dict(locked))
    was_queued = locked.status == JobStatus.QUEUED
    reason = f"Cancelled by {user.get_username()}."
    locked.status, locked.finished_at, locked.error = JobStatus.CANCELLED, timezone.now(), reason
    locked.save(update_fields=["status", "finished_at", "error"])
    if locked.kind == JobKind.PROPAGATE:
        if was_queued:
            payload = {"job": locked.pk, "track": locked.track_id, "image": locked.image_id, "frames": 0,
                       "stopped": "cancelled"}
            broadcast_on_commit(project_group(locked.image.project_id), "track.done", payload)
            broadcast_on_commit(image_group(locked.image_id), "track.done", payload)
    elif locked.purpose == JobPurpose.DETECT:
        payload = {"image": locked.image_id, "job": job_to_dict(locked), "reason": reason}
        broadcast_on_commit(image_group(locked.image_id), "detection.failed", payload)
    return locked
