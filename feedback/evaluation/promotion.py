"""Promote an evaluated configuration: it becomes the project's detector configuration.

Each label gets the evaluated prompt (through `label_update`, so the change is an ordinary label
edit), a `DetectorConfig` row records backend, model, revision, prompts and scores (the rows are
the history of the project's configuration), and an MLflow run tagged `hitl.kind=promotion`
points at the evaluation's run. Jobs still run the workers' loaded detector: the status
endpoint says whether the workers run the promoted revision.
"""

from django.db import transaction
from django.utils import timezone

from annotations.errors import Conflict
from annotations.models import Label
from annotations.services.projects import label_update
from feedback.evaluation.models import Evaluation, EvaluationStatus
from tracking.outbox import outbox_enqueue
from tracking.runs import project_experiment
from inference.models import DetectorConfig


@transaction.atomic
def evaluation_promote(*, evaluation: Evaluation, user) -> DetectorConfig:
    """Use a done evaluation's configuration for its project (see module docstring)."""
    if evaluation.status != EvaluationStatus.DONE:
        raise Conflict(f"The evaluation is {evaluation.status}; only a finished one can be used.")
    labels = {label.name: label for label in Label.objects.select_for_update().filter(project_id=evaluation.project_id)}
    for name, prompt in evaluation.prompts.items():
        label = labels.get(name)
        if label is not None and label.effective_prompt != prompt:
            label_update(label=label, user=user, prompt="" if prompt == label.name else prompt)
    ran = evaluation.detector.get("ran") or {}
    scores = {k: evaluation.metrics.get(k) for k in ("map", "map_50", "map_75", "precision", "recall",
                                                      "seconds_per_frame")}
    current = DetectorConfig.objects.filter(project_id=evaluation.project_id).order_by("-created_at", "-id").first()
    config = DetectorConfig.objects.create(
        # The manager's confidence thresholds stay as they were until turned off (threshold_use.py).
        thresholds_enabled=bool(current and current.thresholds_enabled), thresholds=current.thresholds if current else {},
        project_id=evaluation.project_id, backend=ran.get("backend") or evaluation.backend,
        model=ran.get("model") or evaluation.model, revision=ran.get("revision") or evaluation.revision,
        prompts=evaluation.prompts, source=f"evaluation {evaluation.pk}", scores=scores, created_by=user,
    )
    now = timezone.now()
    outbox_enqueue(kind="promotion", key=f"promotion:{config.pk}", payload={
        "experiment": project_experiment(evaluation.project),
        "run_name": f"promotion-evaluation-{evaluation.pk}",
        "start_ms": int(now.timestamp() * 1000),
        "params": {"backend": config.backend, "model": config.model, "revision": config.revision,
                   **{f"prompt.{n}": p for n, p in config.prompts.items()}, "evaluation_id": evaluation.pk},
        "metrics": {k: v for k, v in scores.items() if isinstance(v, int | float)},
        "tags": {"hitl.kind": "promotion", "hitl.project": evaluation.project.name,
                 "project_id": evaluation.project_id, "evaluation_run_id": evaluation.mlflow_run_id,
                 "registered_model": evaluation.registered_model, "user": getattr(user, "username", "")},
    })
    return config
