"""The MLflow run of a detection job, as an outbox payload (plain JSON, built at enqueue)."""

import logging
from collections import Counter

from django.db import transaction

from inference.models import Prediction
from tracking.outbox import outbox_enqueue
from tracking.runs import ms, project_experiment, user_tag

logger = logging.getLogger(__name__)


def detection_job_payload(job) -> dict:
    image = job.image
    project = image.project
    per_prompt = Counter(Prediction.objects.filter(job=job).values_list("prompt", flat=True))
    timings = job.timings or {}
    metrics = {f"objects.{prompt}": per_prompt.get(prompt, 0) for prompt in job.prompts}
    metrics["objects_total"] = sum(per_prompt.values())
    metrics.update({f"latency.{prompt}": seconds for prompt, seconds in (timings.get("prompts") or {}).items()})
    for name in ("encode", "total"):
        if isinstance(timings.get(name), int | float):
            metrics[f"latency_{name}"] = timings[name]
    return {
        "experiment": project_experiment(project),
        "run_name": f"detect-job-{job.pk}",
        "start_ms": ms(job.started_at or job.created_at),
        "end_ms": ms(job.finished_at),
        "params": {
            "image_id": image.pk,
            "frame_index": image.frame_index,
            "prompts": ", ".join(job.prompts),
            "backend": job.backend,
            "model": job.model,
            "revision": job.revision,
            "device": job.device,
            "status": job.status,
        },
        "metrics": metrics,
        "tags": {
            "hitl.kind": "detection_job",
            "project": project.name,
            "project_id": project.pk,
            "user": user_tag(job.created_by),
            "job_id": job.pk,
            "status": job.status,
            **({"error": job.error[:500]} if job.error else {}),
        },
        "target": {"model": "inference.DetectionJob", "pk": job.pk},
    }


def detection_job_track(*, job) -> str:
    """Queue the MLflow run of a finished detection job; returns the outbox key.

    Called by the job service inside the transaction that finishes the job, so a worker dying
    right after the commit cannot lose the run. Bookkeeping that fails is logged, never raised
    into the job's caller, and rolls back only itself (a savepoint), never the job.
    """
    key = f"detection_job:{job.pk}"
    try:
        with transaction.atomic():
            outbox_enqueue(kind="detection_job", key=key, payload=detection_job_payload(job))
    except Exception:
        logger.exception("Queueing the MLflow run of job %s failed", job.pk)
    return key
