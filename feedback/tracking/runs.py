"""What each kind of MLflow run records, as outbox payloads (plain JSON, built at enqueue)."""

import logging
from collections import Counter

from django.utils.text import slugify

from feedback.tracking.client import experiment_name
from feedback.tracking.outbox import outbox_enqueue

logger = logging.getLogger(__name__)


def project_experiment(project) -> str:
    return experiment_name(project_id=project.pk, slug=slugify(project.name)[:60] or "unnamed")


def _ms(value) -> int | None:
    return int(value.timestamp() * 1000) if value else None


def _user_tag(user) -> str:
    return getattr(user, "username", "") or ""


def detection_job_payload(job) -> dict:
    from inference.models import Prediction

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
        "start_ms": _ms(job.started_at or job.created_at),
        "end_ms": _ms(job.finished_at),
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
            "user": _user_tag(job.created_by),
            "job_id": job.pk,
            "status": job.status,
            **({"error": job.error[:500]} if job.error else {}),
        },
        "target": {"model": "inference.DetectionJob", "pk": job.pk},
    }


def detection_job_track(*, job) -> str:
    """Queue the MLflow run of a finished detection job; returns the outbox key.

    Called by the job service after commit: bookkeeping that fails is logged, never raised
    into the job's caller.
    """
    key = f"detection_job:{job.pk}"
    try:
        outbox_enqueue(kind="detection_job", key=key, payload=detection_job_payload(job))
    except Exception:
        logger.exception("Queueing the MLflow run of job %s failed", job.pk)
    return key


def dataset_export_track(*, dataset) -> str:
    """Queue the MLflow run of a dataset export; returns the outbox key."""
    project = dataset.project
    key = f"dataset_version:{dataset.pk}"
    payload = {
        "experiment": project_experiment(project),
        "run_name": f"export-{dataset.format}-{dataset.only}-{dataset.pk}",
        "start_ms": _ms(dataset.created_at),
        "params": {
            "format": dataset.format,
            "only": dataset.only,
            "path": dataset.path,
            "git_rev": dataset.git_rev,
            "dvc_hash": dataset.dvc_hash,
            "dataset_version_id": dataset.pk,
        },
        "metrics": {k: v for k, v in dataset.counts.items() if isinstance(v, int | float)},
        "tags": {"hitl.kind": "dataset_export", "project": project.name, "project_id": project.pk,
                 "user": _user_tag(dataset.created_by)},
        "target": {"model": "annotations.DatasetVersion", "pk": dataset.pk},
    }
    outbox_enqueue(kind="dataset_export", key=key, payload=payload)
    return key


def session_track(*, session) -> str:
    """Queue the MLflow run of a closed annotation session; returns the outbox key."""
    project, user = session.project, session.user
    key = f"annotation_session:{session.pk}"
    payload = {
        "experiment": project_experiment(project),
        "run_name": f"session-{user.username}-{session.started_at:%Y%m%dT%H%M%S}",
        "start_ms": _ms(session.started_at),
        "end_ms": _ms(session.ended_at),
        "params": {
            "user": user.username,
            "project_id": project.pk,
            "started_at": session.started_at.isoformat(),
            "ended_at": session.ended_at.isoformat() if session.ended_at else "",
        },
        "metrics": dict(session.counts),
        "tags": {"hitl.kind": "annotation_session", "project": project.name, "project_id": project.pk,
                 "user": user.username, "session_id": session.pk},
        "target": {"model": "feedback.AnnotationSession", "pk": session.pk},
    }
    outbox_enqueue(kind="annotation_session", key=key, payload=payload)
    return key
