"""Confidence thresholds in use: which AI boxes are hidden from review.

When a manager enables them (the project's newest `DetectorConfig` with `thresholds_enabled`), a
pending prediction of a label whose score is below the label's threshold is kept in the database
but not offered for review: the annotate page hides it ("N low-confidence boxes hidden — show")
and accept-all / reject-all leave it alone. A prediction without a score, or of a label without a
threshold, is always shown.
"""

from annotations.models import Label
from inference.models import DetectorConfig, Prediction


def thresholds_in_use(*, project_id: int) -> dict[int, float]:
    """{label id: threshold} of the project, empty unless enabled (two small queries)."""
    config = DetectorConfig.objects.filter(project_id=project_id).order_by("-created_at", "-id").first()
    if config is None or not config.thresholds_enabled or not config.thresholds:
        return {}
    names = dict(Label.objects.filter(project_id=project_id).values_list("name", "id"))
    return {names[name]: float(value) for name, value in config.thresholds.items()
            if name in names and isinstance(value, int | float)}


def prediction_hidden(prediction: Prediction, thresholds: dict[int, float]) -> bool:
    threshold = thresholds.get(prediction.label_id)
    return threshold is not None and prediction.score is not None and prediction.score < threshold
