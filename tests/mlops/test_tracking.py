"""MLflow runs through the outbox, checked with the real `mlflow` client on a real store."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from annotations.exports.service import dataset_export
from annotations.models import DatasetVersion
from tracking.models import TrackingOutbox
from inference.tracking import detection_job_track
from tracking.outbox import outbox_flush
from tracking.client import OUTBOX_TAG, Tracker
from inference.tracking import detection_job_payload
from tracking.runs import project_experiment
from inference.models import DetectionJob, JobStatus, Prediction
from tests.mlops.conftest import runs_of

pytestmark = pytest.mark.django_db

DEAD_SERVER = "http://127.0.0.1:8519"


@pytest.fixture
def job(image, annotator):
    job = DetectionJob.objects.create(
        image=image, prompts=["person", "car"], status=JobStatus.DONE, backend="memory", model="fake/model",
        revision="2025-01-09", device="cpu", created_by=annotator, started_at=timezone.now(),
        finished_at=timezone.now(), timings={"prompts": {"person": 0.25, "car": 0.5}, "encode": 0.1, "total": 0.9},
    )
    for rank in range(2):
        Prediction.objects.create(job=job, image=image, prompt="person", rank=rank, x_min=1, y_min=1,
                                  x_max=10, y_max=10, score=0.9)
    return job


def test_a_detection_job_is_a_run_with_its_params_metrics_and_tags(job, mlflow_store):
    detection_job_track(job=job)
    assert outbox_flush()["sent"] == 1
    (run,) = runs_of(job.image.project, mlflow_store, "detection_job")
    assert run.data.params == {
        "image_id": str(job.image_id), "frame_index": str(job.image.frame_index), "prompts": "person, car",
        "backend": "memory", "model": "fake/model", "revision": "2025-01-09", "device": "cpu", "status": "done",
    }
    metrics = run.data.metrics
    assert metrics["objects.person"] == 2 and metrics["objects.car"] == 0 and metrics["objects_total"] == 2
    assert metrics["latency.person"] == 0.25 and metrics["latency.car"] == 0.5 and metrics["latency_total"] == 0.9
    assert run.data.tags["user"] == "anna" and run.data.tags["project"] == job.image.project.name
    job.refresh_from_db()
    assert job.mlflow_run_id == run.info.run_id


def test_tracking_twice_and_flushing_twice_makes_one_run(job, mlflow_store):
    detection_job_track(job=job)
    detection_job_track(job=job)
    assert TrackingOutbox.objects.count() == 1
    assert outbox_flush()["sent"] == 1
    assert outbox_flush()["sent"] == 0
    assert len(runs_of(job.image.project, mlflow_store)) == 1


def test_a_run_sent_but_not_marked_is_found_again_not_duplicated(job, mlflow_store):
    """A crash after MLflow got the run but before the row was marked sent."""
    key = detection_job_track(job=job)
    run_id = Tracker().run_send(key=key, payload=detection_job_payload(job))
    assert outbox_flush()["sent"] == 1
    assert TrackingOutbox.objects.get(key=key).run_id == run_id
    assert [r.info.run_id for r in runs_of(job.image.project, mlflow_store)] == [run_id]


def test_a_half_written_run_is_replaced_by_a_complete_one(job, mlflow_store):
    key = detection_job_track(job=job)
    tracker = Tracker()
    experiment_id = tracker.experiment_id(project_experiment(job.image.project))
    tracker.client.create_run(experiment_id, tags={OUTBOX_TAG: key})  # crashed before logging anything
    outbox_flush()
    (run,) = runs_of(job.image.project, mlflow_store)
    assert run.info.status == "FINISHED" and run.data.params["backend"] == "memory"


def test_with_mlflow_down_work_goes_on_and_a_later_flush_sends_everything_once(
    job, dataset_project, manager, settings, mlflow_store, tmp_path
):
    settings.MLFLOW_TRACKING_URI = DEAD_SERVER
    detection_job_track(job=job)
    dataset = dataset_export(project=dataset_project, user=manager, format="coco", only="all", out=tmp_path / "c")
    counts = outbox_flush()
    assert counts["sent"] == 0 and counts["pending"] == 2 and "unreachable" in counts["error"]
    assert TrackingOutbox.objects.filter(sent_at__isnull=True, attempts=0).count() == 2
    out = io.StringIO()
    call_command("flush_tracking", stdout=out, stderr=io.StringIO())
    assert "runs sent: 0" in out.getvalue() and "still pending: 2" in out.getvalue()

    settings.MLFLOW_TRACKING_URI = mlflow_store
    call_command("flush_tracking", stdout=out)
    call_command("flush_tracking", stdout=out)
    assert "runs sent: 2" in out.getvalue()
    assert len(runs_of(job.image.project, mlflow_store, "detection_job")) == 1
    (export_run,) = runs_of(dataset_project, mlflow_store, "dataset_export")
    assert export_run.data.params["format"] == "coco" and export_run.data.metrics["boxes"] == 4
    assert DatasetVersion.objects.get(pk=dataset.pk).mlflow_run_id == export_run.info.run_id
    assert not TrackingOutbox.objects.filter(sent_at__isnull=True).exists()
