"""Thresholds learnt from the team's decisions on AI boxes.

Per label, from the audit history: every decided prediction with its score (accepted or
corrected = worth showing, rejected = not) and the human boxes the model missed. The threshold
is the lowest score whose kept predictions (score ≥ threshold) reach the target precision, so
as few good boxes as possible are hidden; the work saved is the rejected boxes below it (boxes a
person would no longer have to reject). A backend that gives no scores gets no threshold, and
says so, instead of an invented one.
"""

from collections import defaultdict

from annotations.models import Box, BoxSource, Label
from inference.models import Prediction
from tracking.outbox import outbox_enqueue
from tracking.runs import project_experiment

DEFAULT_TARGET = 0.9
GOOD = ("accepted", "corrected")
DECIDED = ("accepted", "corrected", "rejected")


def threshold_for_precision(scored: list[tuple[float, bool]], *, target: float, missed: int = 0) -> dict:
    """`scored`: (score, worth showing) per decided prediction. See the module docstring."""
    ordered = sorted(scored, key=lambda item: -item[0])
    good_total = sum(1 for _, good in ordered if good)
    best = None
    good = 0
    for index, (score, is_good) in enumerate(ordered):
        good += is_good
        next_score = ordered[index + 1][0] if index + 1 < len(ordered) else None
        if next_score == score:
            continue  # a threshold keeps every prediction of its score, or none
        if good / (index + 1) >= target:
            best = (score, index + 1, good)
    out = {"predictions": len(ordered), "good": good_total, "rejected": len(ordered) - good_total,
           "target_precision": target, "threshold": None, "kept": None, "hidden_rejected": None,
           "hidden_good": None, "precision": None, "recall": None}
    if best is None:
        return out
    threshold, kept, kept_good = best
    found = good_total + missed
    out.update(threshold=threshold, kept=kept, hidden_rejected=(len(ordered) - kept) - (good_total - kept_good),
               hidden_good=good_total - kept_good, precision=kept_good / kept,
               recall=kept_good / found if found else None)
    return out


def thresholds_for_project(*, project, target: float = DEFAULT_TARGET) -> dict:
    """{label name: threshold_for_precision(...) or {"threshold": None, "reason": ...}}."""
    scored, unscored = defaultdict(list), defaultdict(int)
    rows = Prediction.objects.filter(image__project=project, status__in=DECIDED, label__isnull=False)
    for label_id, score, status in rows.values_list("label_id", "score", "status").iterator(chunk_size=10_000):
        if score is None:
            unscored[label_id] += 1
        else:
            scored[label_id].append((score, status in GOOD))
    missed = defaultdict(int)  # human boxes drawn on frames the model had looked at
    boxes = Box.objects.filter(image__project=project, deleted=False, source=BoxSource.HUMAN, prediction__isnull=True,
                               image__predictions__isnull=False).distinct()
    for label_id in boxes.values_list("label_id", flat=True).iterator(chunk_size=10_000):
        missed[label_id] += 1
    out = {}
    for label in Label.objects.filter(project=project).order_by("id"):
        if scored.get(label.pk):
            out[label.name] = threshold_for_precision(scored[label.pk], target=target, missed=missed[label.pk])
        else:
            reason = ("the detector gives no scores for these boxes, so no threshold can be learnt"
                      if unscored.get(label.pk) else "no decided AI boxes yet")
            out[label.name] = {"threshold": None, "reason": reason, "predictions": unscored.get(label.pk, 0)}
    return out


def thresholds_track(*, project, thresholds: dict, target: float, user=None) -> str:
    """Queue the MLflow run (tags hitl.kind=thresholds) of learnt thresholds; returns the outbox key."""
    from django.utils import timezone

    now = timezone.now()
    key = f"thresholds:{project.pk}:{now:%Y%m%dT%H%M%S%f}"
    metrics = {}
    for name, row in thresholds.items():
        for field in ("threshold", "precision", "recall", "hidden_rejected", "hidden_good"):
            if isinstance(row.get(field), int | float):
                metrics[f"{field}/{name}"] = row[field]
    outbox_enqueue(kind="thresholds", key=key, payload={
        "experiment": project_experiment(project), "run_name": f"thresholds-{now:%Y%m%dT%H%M%S}",
        "start_ms": int(now.timestamp() * 1000), "params": {"target_precision": target},
        "metrics": metrics, "json_artifacts": {"thresholds.json": thresholds},
        "tags": {"hitl.kind": "thresholds", "hitl.project": project.name, "project_id": project.pk,
                 "user": getattr(user, "username", "") or ""},
    })
    return key
