"""Reads of jobs and predictions, shared by the API and the websocket payloads.

`job_to_dict` and `prediction_to_dict` are the job and prediction shapes of DESIGN.md
(plus additive fields); REST answers and `detection.*` messages both come from them.
"""

from django.db.models import QuerySet

from annotations.models import Image, Label
from inference.models import ACTIVE_JOB_STATUSES, DetectionJob, JobPurpose, Prediction


def _iso(value) -> str | None:
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def job_to_dict(job: DetectionJob) -> dict:
    """`{id, image, prompts, status, backend, model, revision, error, created_at, started_at, finished_at}`
    plus `device`, `attempts`, `timings` (seconds: per prompt, encode, total) and `kind` (detect or propagate;
    a propagation also has its `track` and `frames`)."""
    return {
        "id": job.pk,
        "image": job.image_id,
        "prompts": list(job.prompts),
        "status": job.status,
        "kind": job.kind,
        "track": job.track_id,
        "frames": job.frames,
        "backend": job.backend,
        "model": job.model,
        "revision": job.revision,
        "device": job.device,
        "error": job.error,
        "attempts": job.attempts,
        "timings": job.timings,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
    }


def prediction_to_dict(prediction: Prediction) -> dict:
    """`{id, job, image, prompt, label, x_min, y_min, x_max, y_max, score, status}` plus `rank`, `decided_by`
    and `track` (the track this box would continue, or null)."""
    return {
        "id": prediction.pk,
        "job": prediction.job_id,
        "image": prediction.image_id,
        "prompt": prediction.prompt,
        "label": prediction.label_id,
        "rank": prediction.rank,
        "x_min": prediction.x_min,
        "y_min": prediction.y_min,
        "x_max": prediction.x_max,
        "y_max": prediction.y_max,
        "score": prediction.score,
        "track": prediction.track_id,
        "status": prediction.status,
        "decided_by": prediction.decided_by_id,
    }


def predictions_for_image(*, image: Image, status: str | None = None, job_id: int | None = None) -> QuerySet[Prediction]:
    """The frame's predictions in job and answer order; optionally one status or one job. An
    evaluation's predictions are its own: never shown on the frame."""
    queryset = Prediction.objects.filter(image=image, job__purpose=JobPurpose.DETECT).order_by("job_id", "id")
    if status:
        queryset = queryset.filter(status=status)
    if job_id is not None:
        queryset = queryset.filter(job_id=job_id)
    return queryset


def job_active_for_image(*, image_id: int) -> DetectionJob | None:
    return DetectionJob.objects.filter(image_id=image_id, status__in=ACTIVE_JOB_STATUSES).first()


def labels_by_prompt(*, project_id: int) -> dict[str, Label]:
    """The project's labels keyed by their (lower-cased) prompt; the first label wins a tie."""
    found: dict[str, Label] = {}
    for label in Label.objects.filter(project_id=project_id).order_by("id"):
        found.setdefault(label.effective_prompt.strip().lower(), label)
    return found
