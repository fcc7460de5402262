"""The status endpoint and prompt checks follow the detector that actually runs the jobs."""

import pytest

from inference import status
from inference.status import worker_status_publish

pytestmark = pytest.mark.django_db


def test_before_the_detector_process_reports_the_configured_backend_is_described_unbuilt(
    annotator, client_for, settings, monkeypatch
):
    """Detectors never load in the web process: it answers status without building one."""
    settings.INFERENCE_EXECUTION, settings.INFERENCE_BACKEND = "embedded", "opencv"
    monkeypatch.setattr(status, "get_detector", lambda: pytest.fail("the web process built a detector"))
    body = client_for(annotator).get("/api/inference/status/").json()
    assert (body["backend"], body["execution"], body["source"]) == ("opencv", "embedded", "web")
    assert "face" in body["supported_prompts"] and "starts with the first detection job" in body["reason"]


def test_in_embedded_mode_the_childs_report_decides_the_status(annotator, client_for, settings):
    """What the supervisor stores from its child's pipe (its moondream failed to load, say) is the status."""
    settings.INFERENCE_EXECUTION, settings.INFERENCE_BACKEND = "embedded", "moondream"
    report = {"backend": "moondream", "model": "m", "revision": "r", "device": "cpu", "loaded": False,
              "error": "The moondream2 weights could not be loaded", "supported_prompts": None, "reason": "x",
              "worker": "host:123", "reported_at": "2026-01-01T00:00:00+00:00"}
    status.worker_status_store(report)
    body = client_for(annotator).get("/api/inference/status/").json()
    assert body == {**report, "execution": "embedded", "source": "worker"}


def test_in_worker_mode_with_no_worker_reporting_the_status_says_to_start_one(annotator, client_for, settings):
    settings.INFERENCE_EXECUTION = "worker"
    body = client_for(annotator).get("/api/inference/status/").json()
    assert body["source"] == "web" and "runworker inference" in body["reason"]


def test_a_workers_report_decides_the_status_and_the_supported_prompts(image, annotator, client_for, settings):
    settings.INFERENCE_EXECUTION = "worker"
    settings.INFERENCE_BACKEND = "opencv"  # what the worker process runs
    reported = worker_status_publish()
    settings.INFERENCE_BACKEND = "memory"  # what this web process would run itself
    client = client_for(annotator)
    body = client.get("/api/inference/status/").json()
    assert (body["backend"], body["source"], body["worker"]) == ("opencv", "worker", reported["worker"])
    refused = client.post(f"/api/images/{image.pk}/detect/", {"prompts": "car"}, format="json")
    assert refused.status_code == 400 and "face" in refused.json()["supported"]
    accepted = client.post(f"/api/images/{image.pk}/detect/", {"prompts": "face"}, format="json")
    assert accepted.status_code == 202 and accepted.json()["backend"] == "opencv"
