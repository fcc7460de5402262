"""The status endpoint and prompt checks follow the detector that actually runs the jobs."""

import pytest

from inference.status import worker_status_publish

pytestmark = pytest.mark.django_db


def test_without_workers_the_web_process_detector_is_reported(annotator, client_for, settings):
    settings.INFERENCE_EXECUTION, settings.INFERENCE_BACKEND = "embedded", "opencv"
    body = client_for(annotator).get("/api/inference/status/").json()
    assert (body["backend"], body["execution"], body["source"]) == ("opencv", "embedded", "web")


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
