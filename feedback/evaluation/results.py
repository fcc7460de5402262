"""Evaluations, the end: the done frames' detections as COCO results, the scores (with the
prompt search), the row marked done and its MLflow run sent."""

import logging

from django.db import transaction
from django.utils import timezone

from annotations.models import Label
from feedback.evaluation.ground_truth import ground_truth_only_frames
from feedback.evaluation.models import Evaluation, EvaluationFrame, EvaluationStatus, FrameStatus
from feedback.evaluation.scoring import coco_score
from feedback.evaluation.services import evaluation_fail, progress_on_commit
from feedback.evaluation.tracking import evaluation_track
from tracking.outbox import outbox_flush

logger = logging.getLogger(__name__)


def prompts_by_label_id(evaluation: Evaluation, prompts: dict | None = None) -> dict[str, list[int]]:
    """{prompt: [label ids]} for the label → prompt map `prompts` (default: the evaluation's)."""
    ids = dict(Label.objects.filter(project_id=evaluation.project_id).values_list("name", "id"))
    by_prompt: dict[str, list[int]] = {}
    for name, prompt in (prompts or evaluation.prompts).items():
        if name in ids and name not in evaluation.detector.get("unsupported_labels", ()):
            by_prompt.setdefault(prompt, []).append(ids[name])
    return by_prompt


def evaluation_detections(*, evaluation: Evaluation, prompts: dict | None = None) -> tuple[list[dict], list[int]]:
    """(COCO results of the done frames under the label → prompt map `prompts` (default: the
    evaluation's), score 1.0 where the model gave none; their image ids)."""
    labels = prompts_by_label_id(evaluation, prompts)
    detections, done = [], []
    rows = EvaluationFrame.objects.filter(evaluation=evaluation, status=FrameStatus.DONE).order_by("position")
    for image_id, boxes in rows.values_list("image_id", "detections"):
        done.append(image_id)
        detections.extend(
            {"image_id": image_id, "category_id": label_id, "bbox": [x, y, w, h], "score": 1.0 if score is None else score}
            for prompt, x, y, w, h, score in boxes
            for label_id in labels.get(prompt, ())
        )
    return detections, done


def prompt_search(*, evaluation: Evaluation, truth: dict, scores: dict) -> dict:
    """Per label with candidates: AP50 of each candidate prompt (the other labels as configured),
    the best one and its gain over the configured prompt. Every candidate ran on every frame in
    the same jobs, so this costs scoring only."""
    out = {}
    for label, candidates in evaluation.prompt_candidates.items():
        current = evaluation.prompts[label]
        aps = {current: scores["ap_50"].get(label)}
        for candidate in candidates:
            if candidate not in aps:
                found, _ = evaluation_detections(evaluation=evaluation, prompts={**evaluation.prompts, label: candidate})
                aps[candidate] = coco_score(ground_truth=truth, detections=found)["ap_50"].get(label)
        best = max(aps, key=lambda p: (aps[p] if aps[p] is not None else -1, p == current))
        gain = aps[best] - aps[current] if aps[best] is not None and aps[current] is not None else None
        out[label] = {"current": current, "ap_50": aps, "best": best, "gain": gain}
    return out


def evaluation_finish(evaluation: Evaluation) -> None:
    evaluation.refresh_from_db()
    detections, done = evaluation_detections(evaluation=evaluation)
    if not done:
        evaluation_fail(evaluation, "No frame could be evaluated: every detection job failed (see the frames' errors).")
        return
    truth = ground_truth_only_frames(evaluation.ground_truth, done)
    scores = coco_score(ground_truth=truth, detections=detections)
    seconds = list(EvaluationFrame.objects.filter(evaluation=evaluation, status=FrameStatus.DONE,
                                                  seconds__isnull=False).values_list("seconds", flat=True))
    now = timezone.now()
    wall = (now - evaluation.started_at).total_seconds() if evaluation.started_at else None
    if evaluation.prompt_candidates:
        scores["prompt_search"] = prompt_search(evaluation=evaluation, truth=truth, scores=scores)
    scores.update(
        seconds_per_frame=sum(seconds) / len(seconds) if seconds else None,
        wall_seconds=wall,
        frames=len(done),
        frames_failed=evaluation.frames_failed,
        unsupported_labels=evaluation.detector.get("unsupported_labels", []),
    )
    with transaction.atomic():
        locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        if locked.status != EvaluationStatus.RUNNING:
            return
        locked.metrics = {k: v for k, v in scores.items() if k not in ("pr_curves", "disagreement")}
        locked.status, locked.finished_at = EvaluationStatus.DONE, now
        locked.save(update_fields=["metrics", "status", "finished_at"])
        key = evaluation_track(evaluation=locked, scores=scores, ground_truth=truth, detections=detections)
        progress_on_commit(locked)
    evaluation_flush(key=key)


def evaluation_flush(*, key: str) -> None:
    """Send the evaluation's run now (a down MLflow leaves it to the periodic flush)."""
    try:
        outbox_flush(keys=[key])
    except Exception:
        logger.exception("Sending the evaluation run %s to MLflow failed; it stays in the outbox", key)
