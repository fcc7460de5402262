"""Confidence thresholds in use: a manager turns the learnt per-label thresholds on or off, and the
dashboard measures the effect.

On: the thresholds are learnt now from the audit history (`thresholds_for_project`, logged as an
MLflow run) and recorded in a new `DetectorConfig` row with `thresholds_enabled` — the project's
configuration history — so from then on AI boxes scored below their label's threshold are stored
but not offered for review (`inference.confidence`). Off: a new row without them. The effect is
the review work before and after the moment they were turned on: how many pending AI boxes people
had to reject per detected frame, how many they kept, how many were hidden, and the active seconds
people spent per AI-assisted frame (the dashboard's effort measure, split at that moment).
"""

from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Count, Q

from annotations.broadcast import broadcast_on_commit, project_group
from annotations.errors import InvalidInput
from annotations.models import Label, Project
from feedback.aggregates import effort_sums
from feedback.evaluation.thresholds import DEFAULT_TARGET, thresholds_for_project, thresholds_track
from feedback.metrics.work import IDLE_SECONDS
from inference.models import DetectionJob, DetectorConfig, JobPurpose, JobStatus, Prediction
from inference.status import detector_status, project_detector_config

KEPT = ("accepted", "corrected")
NEVER = datetime.max.replace(tzinfo=UTC)


def _current(project_id: int) -> DetectorConfig | None:
    return DetectorConfig.objects.filter(project_id=project_id).order_by("-created_at", "-id").first()


@transaction.atomic
def thresholds_use(*, project, user, enabled: bool, target: float = DEFAULT_TARGET) -> dict:
    """Turn the confidence thresholds on (learnt now, at precision `target`) or off; see module docstring.

    On with no label that has a threshold (no decisions yet, or a backend without scores) is a 400
    that says why per label, and changes nothing.
    """
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target <= 1:
        raise InvalidInput("The target is a precision between 0 and 1.", target=["Between 0 and 1."])
    Project.objects.select_for_update().filter(pk=project.pk).first()  # one change at a time per project
    current = _current(project.pk)
    learned, values = {}, {}
    if enabled:
        learned = thresholds_for_project(project=project, target=target)
        values = {name: row["threshold"] for name, row in learned.items() if row["threshold"] is not None}
        if not values:
            reasons = "; ".join(f"{name}: {row.get('reason') or 'the target cannot be reached'}"
                                for name, row in learned.items())
            raise InvalidInput(f"No label has a threshold to use yet ({reasons or 'no labels'}).",
                               enabled=["No threshold could be learnt."])
    if current is None:
        running = detector_status()
        prompts = {label.name: label.effective_prompt for label in Label.objects.filter(project=project).order_by("id")}
        base = {"backend": str(running.get("backend", ""))[:32], "model": str(running.get("model", "") or "")[:200],
                "revision": str(running.get("revision", "") or "")[:100], "prompts": prompts, "scores": {}}
    else:
        base = {k: getattr(current, k) for k in ("backend", "model", "revision", "prompts", "scores")}
    DetectorConfig.objects.create(
        project=project, **base, created_by=user, thresholds_enabled=enabled,
        thresholds=values if enabled else (current.thresholds if current else {}),
        source=f"confidence thresholds on (precision {target:g})" if enabled else "confidence thresholds off",
    )
    if enabled:
        thresholds_track(project=project, thresholds=learned, target=target, user=user)
    broadcast_on_commit(project_group(project.pk), "detector.config",
                        lambda: {"project": project.pk, "config": project_detector_config(project_id=project.pk)})
    return {**thresholds_effect(project_id=project.pk), "learned": learned}


def _enabled_since(project_id: int):
    """When the thresholds in use were turned on (the first row of the newest run of enabled rows)."""
    since = None
    for enabled, created_at in (DetectorConfig.objects.filter(project_id=project_id)
                                .order_by("-created_at", "-id").values_list("thresholds_enabled", "created_at")):
        if not enabled:
            break
        since = created_at
    return since


def _seconds_per_ai_frame(project_id: int, **window) -> float | None:
    """Active seconds people spent per AI-assisted frame, from their events in `window` (since/until)."""
    for pre_annotated, frames, seconds, _boxes in effort_sums(project_id=project_id, idle=IDLE_SECONDS, **window):
        if pre_annotated:
            return seconds / frames if frames else None
    return None


def _window(rows: dict, side: str, seconds_per_frame: float | None, hidden: int | None = None) -> dict:
    frames, predictions = rows[f"{side}_frames"], rows[f"{side}_predictions"]
    rejected, kept = rows[f"{side}_rejected"], rows[f"{side}_kept"]
    out = {"frames": frames, "predictions": predictions, "rejected": rejected, "kept": kept,
           "rejected_per_frame": rejected / frames if frames else None,
           "acceptance_rate": kept / (kept + rejected) if kept + rejected else None,
           "seconds_per_frame": seconds_per_frame}
    if hidden is not None:
        out.update(hidden=hidden, hidden_per_frame=hidden / frames if frames else None)
    return out


def thresholds_effect(*, project_id: int) -> dict:
    """The thresholds in use and the review work before / after they were turned on (4–5 queries)."""
    config = project_detector_config(project_id=project_id) or {}
    since = _enabled_since(project_id) if config.get("thresholds_enabled") else None
    cut = since or NEVER  # never on: every job is "before"
    after, job_after = Q(job__created_at__gte=cut), Q(created_at__gte=cut)
    jobs = DetectionJob.objects.filter(image__project_id=project_id, purpose=JobPurpose.DETECT, status=JobStatus.DONE)
    frames = jobs.aggregate(before_frames=Count("image", distinct=True, filter=~job_after),
                            after_frames=Count("image", distinct=True, filter=job_after))
    names = dict(Label.objects.filter(project_id=project_id).values_list("name", "id"))
    below = Q(label_id=None, score__lt=0) & Q(label_id__isnull=False)  # no label: matches nothing
    for name, value in (config.get("thresholds") or {}).items():
        if name in names:
            below |= Q(label_id=names[name], score__lt=value)
    predictions = Prediction.objects.filter(image__project_id=project_id, job__purpose=JobPurpose.DETECT)
    counts = predictions.aggregate(
        before_predictions=Count("id", filter=~after), after_predictions=Count("id", filter=after),
        before_rejected=Count("id", filter=~after & Q(status="rejected")),
        after_rejected=Count("id", filter=after & Q(status="rejected")),
        before_kept=Count("id", filter=~after & Q(status__in=KEPT)),
        after_kept=Count("id", filter=after & Q(status__in=KEPT)),
        hidden=Count("id", filter=after & below & Q(status="pending")),
    )
    rows = {**frames, **counts}
    return {
        "enabled": bool(config.get("thresholds_enabled")), "thresholds": config.get("thresholds") or {},
        "since": since.isoformat() if since else None, "source": config.get("source"),
        "before": _window(rows, "before", _seconds_per_ai_frame(project_id, until=since)),
        "after": _window(rows, "after", _seconds_per_ai_frame(project_id, since=since), hidden=rows["hidden"])
        if since else None,
    }
