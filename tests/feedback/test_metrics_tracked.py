"""The AI audit counts tracker-proposed boxes as their own source, and a propagation is no detection job."""

import pytest

from annotations.models import Box
from feedback.selectors import metrics_for_project
from inference.models import DetectionJob
from tests.factories import ImageFactory

pytestmark = pytest.mark.django_db


def test_tracked_boxes_are_counted_apart_with_what_people_did_with_them(project, label, annotator):
    frame = ImageFactory(project=project, width=640, height=480)

    def box(**fields):
        Box.objects.create(image=frame, label=label, x_min=0, y_min=0, x_max=10, y_max=10, **fields)

    box()  # drawn by hand
    box(source="interpolated", keyframe=False)
    box(source="tracked", keyframe=False)  # proposed, nobody looked yet
    box(source="tracked", keyframe=False)
    box(source="tracked", keyframe=True)  # a person adjusted it: confirmed
    box(source="tracked", keyframe=False, deleted=True)  # a person deleted it: rejected
    box(source="human", deleted=True)  # a deleted drawing counts nowhere
    DetectionJob.objects.create(image=frame, kind="propagate", status="done")

    metrics = metrics_for_project(project=project)
    progress = metrics["progress"]
    assert (progress["human_boxes"], progress["ai_boxes"], progress["tracked_boxes"], progress["interpolated_boxes"]) == (
        1, 0, 3, 1)
    assert progress["tracked"] == {"boxes": 3, "confirmed": 1, "pending": 2, "rejected": 1, "confirm_rate": 0.5}
    assert progress["frames_pre_annotated"] == 0  # a propagation is not a detection job
    assert metrics["per_revision"] == []
    row = next(r for r in metrics["per_label"] if r["label"] == label.pk)
    assert (row["human_boxes"], row["tracked_boxes"], row["interpolated_boxes"]) == (1, 3, 1)
