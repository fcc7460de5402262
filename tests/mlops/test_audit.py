"""`manage.py log_mlflow_run PROJECT`: the audit run as the real MLflow client sees it."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from mlflow.tracking import MlflowClient
from PIL import Image as PILImage

from tracking.models import TrackingOutbox
from feedback.selectors import metrics_for_project
from inference.models import DetectionJob, JobStatus, Prediction
from tests.mlops.conftest import runs_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def audited(dataset_project):
    image = dataset_project.images.order_by("id").first()
    person = dataset_project.labels.get(name="person")
    job = DetectionJob.objects.create(image=image, prompts=["person"], status=JobStatus.DONE, revision="r1")
    for rank, status in enumerate(["accepted", "rejected"]):
        Prediction.objects.create(job=job, image=image, label=person, prompt="person", rank=rank, x_min=10,
                                  y_min=20, x_max=110, y_max=220, score=0.9 - rank / 10, status=status)
    return dataset_project


def test_the_audit_run_has_every_metric_per_label_a_plot_and_the_annotations(audited, mlflow_store, tmp_path):
    out = io.StringIO()
    call_command("log_mlflow_run", audited.name, stdout=out)
    assert "logged: run" in out.getvalue()
    (run,) = runs_of(audited, mlflow_store, "project_audit")
    metrics = run.data.metrics
    expected = metrics_for_project(project=audited)
    assert metrics["progress.frames_total"] == expected["progress"]["frames_total"] == 3
    assert metrics["decisions.accepted"] == 1 and metrics["decisions.rejected"] == 1
    assert metrics["label.person.acceptance_rate"] == 0.5
    assert {"label.car.human_boxes", "label.unused.ai_boxes"} <= metrics.keys()

    client = MlflowClient(tracking_uri=mlflow_store)
    artifacts = {a.path for folder in ("plots", "annotations", "metrics")
                 for a in client.list_artifacts(run.info.run_id, folder)}
    assert artifacts == {"plots/per_label.png", "annotations/annotations.json", "metrics/metrics.json"}
    png = Path(client.download_artifacts(run.info.run_id, "plots/per_label.png", str(tmp_path)))
    assert PILImage.open(png).format == "PNG"
    coco = json.loads(Path(client.download_artifacts(run.info.run_id, "annotations/annotations.json",
                                                     str(tmp_path))).read_text())
    assert len(coco["annotations"]) == 4 and len(coco["images"]) == 3
    assert not Path(TrackingOutbox.objects.get().payload["staging_dir"]).exists()  # staged files cleaned up


def test_with_mlflow_down_the_audit_waits_in_the_outbox(audited, settings, mlflow_store):
    settings.MLFLOW_TRACKING_URI = "http://127.0.0.1:8519"
    out = io.StringIO()
    call_command("log_mlflow_run", str(audited.pk), stdout=out, stderr=io.StringIO())
    assert "queued as project_audit:" in out.getvalue()
    row = TrackingOutbox.objects.get()
    assert Path(row.payload["staging_dir"], "per_label.png").exists()
    settings.MLFLOW_TRACKING_URI = mlflow_store
    call_command("flush_tracking", stdout=io.StringIO())
    assert len(runs_of(audited, mlflow_store, "project_audit")) == 1


def test_an_unknown_project_is_a_command_error(db):
    with pytest.raises(CommandError):
        call_command("log_mlflow_run", "nope", stdout=io.StringIO())
