import mlflow
import pytest

from annotations.models import Box, ImageStatus
from tests.factories import BoxFactory, ImageFactory, LabelFactory


@pytest.fixture
def dataset_project(project, manager):
    """Three labelled frames (approved, submitted, new) of different sizes, boxes incl. a deleted one."""
    person = LabelFactory(project=project, name="person", color="#112233")
    car = LabelFactory(project=project, name="car", prompt="vehicle")
    LabelFactory(project=project, name="unused")
    approved = ImageFactory(project=project, width=640, height=480, status=ImageStatus.APPROVED, frame_index=0)
    submitted = ImageFactory(project=project, width=320, height=200, status=ImageStatus.SUBMITTED, frame_index=1)
    new = ImageFactory(project=project, width=100, height=100, status=ImageStatus.NEW, frame_index=2)
    BoxFactory(image=approved, label=person, x_min=10.25, y_min=20.5, x_max=110.75, y_max=220.125)
    BoxFactory(image=approved, label=car, x_min=300, y_min=100, x_max=640, y_max=480)
    BoxFactory(image=approved, label=car, x_min=1, y_min=1, x_max=5, y_max=5, deleted=True)
    BoxFactory(image=submitted, label=person, x_min=0, y_min=0, x_max=320, y_max=200)
    BoxFactory(image=new, label=car, x_min=5, y_min=6, x_max=50.5, y_max=60.5)
    project.refresh_from_db()
    return project


def live_boxes(project, statuses=None):
    """{(frame sha256, label name): [xyxy, ...]} from the database, the truth exports are checked against."""
    boxes = Box.objects.filter(image__project=project, deleted=False).select_related("image", "label")
    if statuses:
        boxes = boxes.filter(image__status__in=statuses)
    out = {}
    for b in boxes:
        out.setdefault((b.image.sha256, b.label.name), []).append((b.x_min, b.y_min, b.x_max, b.y_max))
    return {k: sorted(v) for k, v in out.items()}


def runs_of(project, uri, kind=None):
    """The project's active runs as the real `mlflow` client sees them (optionally of one kind)."""
    from tracking.runs import project_experiment

    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=[project_experiment(project)], output_format="list")
    return [r for r in runs if kind is None or r.data.tags.get("hitl.kind") == kind]
