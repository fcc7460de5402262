"""A new detection run on a frame replaces that frame's still-pending AI boxes for the same prompts.

Detect pressed again on a frame asks for the model's answer now, not for a second copy on top of
the first. So when a job stores a prompt's predictions, the frame's AI boxes of that prompt still
pending from earlier runs become `superseded`, in the same transaction:

- no longer offered for review: not drawn, not taken by accept-all / reject-all, and accepting or
  rejecting one is a 409 ("already superseded");
- kept, not deleted: each run's whole answer stays for the audit (per-revision accuracy reads the
  model's answer of each run, `feedback.loading`), and nobody is recorded as having decided them;
- decided boxes (accepted, corrected, rejected) are never touched: their decision, their Box and
  their history stay as they are. Undoing a decision on a box whose prompt a newer run has
  answered since puts it back as `superseded`, not `pending` (`prediction_reopened_status`).

Viewers get `detection.decided {predictions, user: who ran the new job, action: "supersede"}` just
before that prompt's `detection.result`, so a canvas swaps the old boxes for the new in one step.
An evaluation's jobs supersede nothing: their boxes are never offered for review.

Locks: the runner already holds the job row (its ownership check); then the frame lock order of
annotations/services/locking.py — the frame row, then the predictions — so a person accepting an
old box at that moment either finishes first (the box stays accepted) or finds it superseded.
"""

from annotations.broadcast import broadcast_on_commit, image_group
from annotations.selectors.boxes import user_brief
from annotations.services.locking import frame_lock
from inference.models import DetectionJob, JobKind, JobPurpose, Prediction, PredictionStatus
from inference.selectors import prediction_to_dict


def predictions_supersede(*, job: DetectionJob, prompt: str) -> list[Prediction]:
    """Mark the frame's pending AI boxes of `prompt` from other runs `superseded`; returns them.

    Call inside the transaction that stores `job`'s predictions for `prompt`. Only for a job
    people asked for (`purpose=detect`); an evaluation's job supersedes nothing.
    """
    if job.purpose != JobPurpose.DETECT:
        return []
    frame_lock(job.image)
    stale = list(
        Prediction.objects.select_for_update(of=("self",))
        .filter(image_id=job.image_id, prompt=prompt, status=PredictionStatus.PENDING, job__purpose=JobPurpose.DETECT)
        .exclude(job_id=job.pk)
        .order_by("id")
    )
    if not stale:
        return []
    Prediction.objects.filter(pk__in=[p.pk for p in stale]).update(status=PredictionStatus.SUPERSEDED)
    for prediction in stale:
        prediction.status = PredictionStatus.SUPERSEDED
    payload = {
        "image": job.image_id,
        "predictions": [prediction_to_dict(p) for p in stale],
        "user": user_brief(job.created_by),
        "action": "supersede",
    }
    broadcast_on_commit(image_group(job.image_id), "detection.decided", payload)
    return stale


def prediction_reopened_status(prediction: Prediction) -> str:
    """The status an undone decision gives back: `pending`, or `superseded` when a newer detection
    run on the frame has answered the prediction's prompt since (its boxes are the ones on offer)."""
    newer = DetectionJob.objects.filter(
        image_id=prediction.image_id, purpose=JobPurpose.DETECT, kind=JobKind.DETECT, pk__gt=prediction.job_id,
        timings__prompts__has_key=prediction.prompt,
    )
    return PredictionStatus.SUPERSEDED if newer.exists() else PredictionStatus.PENDING
