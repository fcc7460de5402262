"""Detect on the next N frames: one detection job per frame of the sequence, queued together.

`POST /api/images/{id}/detect/ {..., frames: N}` queues this frame's job (refused as usual when a
job is already active on it: 409) and one for each of the next N − 1 frames of its sequence in
frame order; a later frame that already has an active job is skipped (and named), not a reason
to refuse the rest. Each job streams `detection.*` on its own frame as any detection does, and its
predictions are linked to the sequence's tracks (inference/services/track_matching.py).
`N` is 1…INFERENCE_DETECT_MAX_FRAMES.
"""

from django.conf import settings
from django.db import transaction

from annotations.errors import Conflict, InvalidInput
from annotations.models import Image
from inference.models import DetectionJob
from inference.services.jobs import job_submit
from annotations.selectors.tracks import frames_after


def detect_max_frames() -> int:
    return int(settings.INFERENCE_DETECT_MAX_FRAMES)


@transaction.atomic
def jobs_submit_across(*, image: Image, user, prompts=None, frames: int = 1) -> tuple[list[DetectionJob], list[int]]:
    """`(jobs in frame order, ids of later frames skipped because a job is active there)`."""
    if not 1 <= frames <= detect_max_frames():
        raise InvalidInput(f"frames must be between 1 and {detect_max_frames()}.",
                           frames=[f"Between 1 and {detect_max_frames()}."])
    jobs = [job_submit(image=image, user=user, prompts=prompts)]
    skipped = []
    for later in frames_after(image, frames - 1):
        try:
            jobs.append(job_submit(image=later, user=user, prompts=prompts))
        except Conflict:
            skipped.append(later.pk)
    return jobs, skipped
