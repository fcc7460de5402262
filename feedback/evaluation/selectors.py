"""Reads of evaluations: the DESIGN.md evaluation shape, progress, and a project's list."""

from django.conf import settings
from django.db.models import QuerySet

from feedback.evaluation.models import Evaluation

LIST_FIELDS_DEFERRED = ("ground_truth",)  # the COCO dict of every frame: never needed to list


def _iso(value) -> str | None:
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def mlflow_run_url(run_id: str) -> str | None:
    """The run's page in the MLflow UI when the tracking store is a server (an embedded store has no UI)."""
    uri = str(settings.MLFLOW_TRACKING_URI)
    if not run_id or not uri.startswith(("http://", "https://")):
        return None
    return f"{uri.rstrip('/')}/#/runs/{run_id}"


def evaluation_to_dict(evaluation: Evaluation) -> dict:
    """`{id, project, status, backend, model, revision, prompts, dataset_version, frames, metrics:
    {map, map_50, map_75, ap_50: {label: ap}}, mlflow_run_id, created_by, created_at, finished_at}`
    plus progress counts, the detector the jobs ran, the dataset's git rev and DVC hash, the error."""
    dataset = evaluation.dataset_version
    return {
        "id": evaluation.pk,
        "project": evaluation.project_id,
        "status": evaluation.status,
        "backend": evaluation.backend,
        "model": evaluation.model,
        "revision": evaluation.revision,
        "prompts": evaluation.prompts,
        "prompt_candidates": evaluation.prompt_candidates,
        "only": evaluation.only,
        "limit": evaluation.limit,
        "dataset_version": evaluation.dataset_version_id,
        "dataset": {"git_rev": dataset.git_rev, "dvc_hash": dataset.dvc_hash} if dataset else None,
        "frames": evaluation.frames,
        "frames_done": evaluation.frames_done,
        "frames_failed": evaluation.frames_failed,
        "metrics": evaluation.metrics,
        "detector": evaluation.detector,
        "error": evaluation.error,
        "mlflow_run_id": evaluation.mlflow_run_id,
        "mlflow_url": mlflow_run_url(evaluation.mlflow_run_id),
        "registered_model": evaluation.registered_model,
        "created_by": evaluation.created_by_id,
        "created_by_username": evaluation.created_by.username if evaluation.created_by else None,
        "created_at": _iso(evaluation.created_at),
        "started_at": _iso(evaluation.started_at),
        "finished_at": _iso(evaluation.finished_at),
    }


def evaluations_for_project(*, project_id: int) -> QuerySet[Evaluation]:
    return (Evaluation.objects.filter(project_id=project_id).defer(*LIST_FIELDS_DEFERRED)
            .select_related("dataset_version", "created_by").order_by("-created_at", "-id"))


def evaluation_progress(*, evaluation_id: int) -> dict:
    """The `evaluation.progress` message: `{evaluation: {...shape}}` read after commit."""
    evaluation = evaluations_for_project_any().filter(pk=evaluation_id).first()
    return {"evaluation": evaluation_to_dict(evaluation) if evaluation else {"id": evaluation_id, "status": "deleted"}}


def evaluations_for_project_any() -> QuerySet[Evaluation]:
    return Evaluation.objects.defer(*LIST_FIELDS_DEFERRED).select_related("dataset_version", "created_by")
