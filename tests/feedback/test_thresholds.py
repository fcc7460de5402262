"""Thresholds learnt from accept/reject decisions recover the threshold that gives the target precision."""

import io

import pytest
from django.core.management import call_command

from feedback.evaluation.thresholds import threshold_for_precision, thresholds_for_project
from inference.models import DetectionJob, Prediction
from tests.factories import BoxFactory, ImageFactory, LabelFactory


def synthetic(cut: float = 0.6):
    """Scores 0.01 … 1.00; people kept every box scoring at least `cut` and rejected the rest."""
    return [(round(i / 100, 2), round(i / 100, 2) >= cut) for i in range(1, 101)]


def test_the_lowest_threshold_that_keeps_the_target_precision_is_recovered():
    result = threshold_for_precision(synthetic(), target=0.9)
    # Kept boxes from t up: 41 good (0.60 … 1.00) and the rejected ones in [t, 0.60); 41 / (41 + 4) ≥ 0.9 > 41 / 46.
    assert result["threshold"] == 0.56 and result["kept"] == 45 and result["precision"] == 41 / 45
    assert result["hidden_rejected"] == 55 and result["hidden_good"] == 0 and result["recall"] == 1.0
    assert threshold_for_precision(synthetic(), target=1.0)["threshold"] == 0.6
    assert threshold_for_precision([(0.9, False), (0.5, True)], target=0.9)["threshold"] is None


def test_tied_scores_are_kept_or_hidden_together():
    result = threshold_for_precision([(0.9, True), (0.5, True), (0.5, False), (0.5, False)], target=0.9)
    assert result["threshold"] == 0.9 and result["kept"] == 1


@pytest.mark.django_db
def test_per_label_from_the_audit_history_and_a_backend_without_scores_gets_none(project, mlflow_store):
    person, face = LabelFactory(project=project, name="person"), LabelFactory(project=project, name="face")
    frame = ImageFactory(project=project)
    job = DetectionJob.objects.create(image=frame, prompts=["person", "face"], status="done")
    for rank, (score, good) in enumerate(synthetic()):
        Prediction.objects.create(job=job, image=frame, label=person, prompt="person", rank=rank, x_min=1, y_min=1,
                                  x_max=9, y_max=9, score=score, status="accepted" if good else "rejected")
    Prediction.objects.create(job=job, image=frame, label=face, prompt="face", rank=0, x_min=1, y_min=1, x_max=9,
                              y_max=9, score=None, status="accepted")
    BoxFactory(image=frame, label=person)  # a person the model missed
    thresholds = thresholds_for_project(project=project)
    assert thresholds["person"]["threshold"] == 0.56 and thresholds["person"]["recall"] == 41 / 42
    assert thresholds["face"]["threshold"] is None and "no scores" in thresholds["face"]["reason"]
    out = io.StringIO()
    call_command("learn_thresholds", str(project.pk), stdout=out)
    assert "person: threshold 0.560" in out.getvalue() and "MLflow: sent" in out.getvalue()
