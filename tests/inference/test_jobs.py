"""Detection jobs: submit over the API, run, stream-ready rows, one active job per frame, the reaper."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations.broadcast import image_group
from inference.detectors.memory import MemoryDetector
from inference.models import DetectionJob, Prediction
from inference.services import job_run, job_submit, jobs_reap_stale
from inference.services.jobs import _prompt_store
from tests.factories import ImageFactory

pytestmark = pytest.mark.django_db


def detect(client, image, prompts=None):
    body = {} if prompts is None else {"prompts": prompts}
    return client.post(f"/api/images/{image.pk}/detect/", body, format="json")


def test_detect_answers_202_with_the_queued_job_in_the_design_shape(image, labels, annotator, client_for):
    response = detect(client_for(annotator), image, ["person", "car"])
    assert response.status_code == 202
    job = response.json()
    assert {"id", "image", "prompts", "status", "backend", "model", "revision", "error", "created_at",
            "started_at", "finished_at"} <= set(job)
    assert job["image"] == image.pk and job["prompts"] == ["person", "car"] and job["status"] == "queued"
    assert job["backend"] == "memory"
    assert response["Location"] == f"/api/jobs/{job['id']}/"
    assert client_for(annotator).get(f"/api/jobs/{job['id']}/").json() == job


def test_without_prompts_the_labels_prompts_are_used(image, labels, annotator, client_for):
    response = detect(client_for(annotator), image)
    assert response.json()["prompts"] == ["person", "car"]


def test_an_invalid_prompt_is_a_400_naming_it(image, annotator, client_for):
    response = detect(client_for(annotator), image, "person, c4r")
    assert response.status_code == 400
    assert "c4r" in response.json()["detail"]
    assert not DetectionJob.objects.exists()


def test_a_second_request_while_a_job_is_active_is_a_409_not_a_500(image, labels, annotator, client_for):
    client = client_for(annotator)
    first = detect(client, image, "person")
    second = detect(client, image, "car")
    assert second.status_code == 409
    assert second.json()["job"] == first.json()["id"]
    job_run(job_id=first.json()["id"])
    assert detect(client, image, "car").status_code == 202  # free again once the first is done


def test_outsiders_get_404_and_anonymous_401(image, outsider, client_for):
    assert detect(client_for(outsider), image, "person").status_code == 404
    assert detect(client_for(None), image, "person").status_code == 401


def test_running_a_job_stores_predictions_per_prompt_with_labels_backend_and_timings(image, labels, annotator):
    job = job_submit(image=image, user=annotator, prompts="person, car, bicycle")
    finished = job_run(job_id=job.pk)
    assert finished.status == "done" and finished.attempts == 1 and finished.finished_at is not None
    assert set(finished.timings["prompts"]) == {"person", "car", "bicycle"}
    assert finished.timings["encode_calls"] == 1 and MemoryDetector.encode_calls == 1
    for prompt in ("person", "car", "bicycle"):
        stored = list(Prediction.objects.filter(job=job, prompt=prompt).order_by("rank"))
        expected = MemoryDetector.expected(prompt, image.width, image.height)
        assert [(p.x_min, p.y_min, p.x_max, p.y_max, p.score) for p in stored] == [
            (d.x_min, d.y_min, d.x_max, d.y_max, d.score) for d in expected
        ]
    assert {p.label for p in Prediction.objects.filter(job=job, prompt="car")} == {labels[1]}
    assert {p.label for p in Prediction.objects.filter(job=job, prompt="bicycle")} == {None}


def test_a_job_is_run_once_even_if_its_message_is_delivered_twice(image, annotator):
    job = job_submit(image=image, user=annotator, prompts="person")
    assert job_run(job_id=job.pk).status == "done"
    assert job_run(job_id=job.pk) is None
    assert job_run(job_id=10**9) is None
    assert MemoryDetector.detect_calls == ["person"]


def test_a_detector_error_fails_the_job_with_the_reason(image, annotator, settings, monkeypatch):
    def broken(self, image, prompts, *, stats=None):
        yield "person", []
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(MemoryDetector, "detect", broken)
    job = job_submit(image=image, user=annotator, prompts="person, car")
    finished = job_run(job_id=job.pk)
    assert finished.status == "failed"
    assert finished.error == "CUDA out of memory"
    assert list(finished.timings["prompts"]) == ["person"]


def test_the_job_messages_go_to_the_frame_group_in_order(image, labels, annotator, django_capture_on_commit_callbacks,
                                                        sent):
    """They take the path of every other event: `broadcast` after commit."""
    job = job_submit(image=image, user=annotator, prompts="person, car, dog")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job_run(job_id=job.pk)
    for callback in callbacks:
        callback()
    assert {group for group, _, _ in sent} == {image_group(image.pk)}
    assert [kind for _, kind, _ in sent] == ["detection.started", *["detection.result"] * 3, "detection.done"]
    results = [payload for _, kind, payload in sent if kind == "detection.result"]
    assert [(r["prompt"], r["index"], r["total"]) for r in results] == [("person", 0, 3), ("car", 1, 3), ("dog", 2, 3)]
    assert [len(r["predictions"]) for r in results] == [
        len(MemoryDetector.expected(p, image.width, image.height)) for p in ("person", "car", "dog")
    ]
    assert sent[-1][2]["counts"] == {p: len(r["predictions"]) for p, r in zip(("person", "car", "dog"), results)}


def test_a_retry_storing_a_prompt_again_replaces_its_predictions(image, annotator):
    job = job_submit(image=image, user=annotator, prompts="person")
    job.status, job.attempts = "running", 2
    job.save()
    detections = MemoryDetector.expected("person", image.width, image.height)
    for _ in range(2):
        _prompt_store(job=job, attempt=2, prompt="person", index=0, detections=detections, label=None, seconds=0.1,
                      stats={})
    assert Prediction.objects.filter(job=job).count() == len(detections)


def _stale(job, *, status="running", attempts=1, seconds=600):
    DetectionJob.objects.filter(pk=job.pk).update(
        status=status, attempts=attempts, heartbeat_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_the_reaper_requeues_a_stale_running_job_which_then_resumes_without_duplicates(image, annotator, settings):
    settings.INFERENCE_JOB_STALE_SECONDS = 60
    job = job_submit(image=image, user=annotator, prompts="person, car")
    # The first attempt stored "person", then its worker died.
    DetectionJob.objects.filter(pk=job.pk).update(status="running", attempts=1)
    job.refresh_from_db()
    _prompt_store(job=job, attempt=1, prompt="person", index=0, label=None, seconds=0.1, stats={},
                  detections=MemoryDetector.expected("person", image.width, image.height))
    _stale(job)
    assert jobs_reap_stale() == {"requeued": [job.pk], "failed": [], "resent": []}
    job.refresh_from_db()
    assert job.status == "queued" and "stopped responding" in job.error

    finished = job_run(job_id=job.pk)
    assert finished.status == "done" and finished.attempts == 2
    assert MemoryDetector.detect_calls == ["car"]  # "person" was already stored
    for prompt in ("person", "car"):
        assert Prediction.objects.filter(job=job, prompt=prompt).count() == len(
            MemoryDetector.expected(prompt, image.width, image.height)
        )


def test_the_reaper_fails_a_job_out_of_attempts_and_leaves_fresh_ones_alone(project, annotator, settings):
    settings.INFERENCE_JOB_STALE_SECONDS = 60
    dead, fresh = ImageFactory(project=project), ImageFactory(project=project)
    dead_job = job_submit(image=dead, user=annotator, prompts="person")
    fresh_job = job_submit(image=fresh, user=annotator, prompts="person")
    _stale(dead_job, attempts=2)
    _stale(fresh_job, seconds=5)
    assert jobs_reap_stale() == {"requeued": [], "failed": [dead_job.pk], "resent": []}
    dead_job.refresh_from_db()
    assert dead_job.status == "failed" and "stopped responding" in dead_job.error
    fresh_job.refresh_from_db()
    assert fresh_job.status == "running"


def test_a_reaped_worker_that_wakes_up_does_not_write_over_the_retry(image, annotator, settings):
    job = job_submit(image=image, user=annotator, prompts="person")
    _stale(job, attempts=1)
    jobs_reap_stale(stale_after=60)
    from inference.services import JobLost

    with pytest.raises(JobLost):
        _prompt_store(job=job, attempt=1, prompt="person", index=0, detections=[], label=None, seconds=0, stats={})


def test_reap_jobs_command_reports_what_it_did(image, annotator):
    import io

    from django.core.management import call_command

    job = job_submit(image=image, user=annotator, prompts="person")
    _stale(job, attempts=2)
    out = io.StringIO()
    call_command("reap_jobs", "--stale-after", "60", stdout=out)
    assert out.getvalue().startswith("requeued 0, failed 1, resent 0")


def test_status_names_the_backend_and_why(annotator, client_for, settings):
    settings.INFERENCE_BACKEND = "opencv"
    body = client_for(annotator).get("/api/inference/status/").json()
    assert body["backend"] == "opencv"
    assert "face" in body["supported_prompts"]
    assert body["reason"].startswith("INFERENCE_BACKEND=opencv")
    assert {"model", "revision", "device", "execution"} <= set(body)
    assert client_for(None).get("/api/inference/status/").status_code == 401


def test_polling_a_stale_job_changes_no_row(image, annotator, client_for, settings):
    """GET /api/jobs/{id}/ of a job whose worker died only reads: the reaper owns the repair."""
    settings.INFERENCE_JOB_STALE_SECONDS = 60
    job = job_submit(image=image, user=annotator, prompts="person")
    _stale(job, attempts=1)
    before = DetectionJob.objects.filter(pk=job.pk).values().get()
    with CaptureQueriesContext(connection) as queries:
        body = client_for(annotator).get(f"/api/jobs/{job.pk}/").json()
    assert body["status"] == "running"
    assert DetectionJob.objects.filter(pk=job.pk).values().get() == before
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]
    assert writes == [] or all("django_session" in w for w in writes)


def test_the_reaper_fails_a_job_running_past_the_timeout_even_while_it_beats(image, annotator, settings):
    settings.INFERENCE_JOB_TIMEOUT_SECONDS = 30
    job = job_submit(image=image, user=annotator, prompts="person")
    DetectionJob.objects.filter(pk=job.pk).update(
        status="running", attempts=1, heartbeat_at=timezone.now(), started_at=timezone.now() - timedelta(seconds=60)
    )
    assert jobs_reap_stale() == {"requeued": [], "failed": [job.pk], "resent": []}
    job.refresh_from_db()
    assert job.status == "failed" and "INFERENCE_JOB_TIMEOUT_SECONDS" in job.error
