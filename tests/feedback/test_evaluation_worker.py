"""Evaluations started from the API are driven by the inference workers' periodic work, not by the web
process: a real `runworker inference` takes a queued evaluation; killed (SIGKILL) mid-evaluation,
the next worker takes it over once its heartbeat is stale and finishes it without running a frame
that was already done."""

import signal

import pytest
from PIL import Image as PILImage

from annotations.exports.service import dataset_export
from annotations.models import ImageStatus
from feedback.evaluation.models import Evaluation, EvaluationFrame
from tests.factories import BoxFactory, ImageFactory, LabelFactory
from tests.inference.test_worker import database_url, workers  # noqa: F401  (the runworker fixture)
from tests.live.daphne import wait_for

pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]
CALLS = "tests.feedback.calls_detector.CallsDetector"
FRAMES = 8


def frame_colour(image) -> str:
    with image.file.open("rb") as handle:
        return str(PILImage.open(handle).convert("RGB").getpixel((0, 0)))


def test_a_worker_killed_mid_evaluation_is_taken_over_without_running_a_finished_frame_again(
    workers, project, manager, client_for, settings, tmp_path  # noqa: F811
):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (the channel layer workers use)")
    database_url()  # skips on sqlite: the worker is another process
    settings.INFERENCE_BACKEND = CALLS
    calls = tmp_path / "calls.log"
    calls.touch()
    person = LabelFactory(project=project, name="person")
    frames = []
    for index in range(FRAMES):
        frame = ImageFactory(project=project, frame_index=index, status=ImageStatus.APPROVED)
        BoxFactory(image=frame, label=person, x_min=1, y_min=1, x_max=30, y_max=30)
        frames.append(frame)
    version = dataset_export(project=project, format="coco", only="approved")  # no DVC: not what is tested
    quick = {"PERIODIC_WORK_SECONDS": "0.3", "PERIODIC_EVALUATIONS_SECONDS": "0.3", "EVALUATION_STALE_SECONDS": "3",
             "EVALUATION_WINDOW": "2", "EVALUATION_JOB_GRACE_SECONDS": "0.2", "DETECTOR_CALLS_LOG": str(calls),
             "MLFLOW_TRACKING_URI": "http://127.0.0.1:9"}
    first = workers(delay=1.0, backend=CALLS, **quick)

    response = client_for(manager).post(f"/api/projects/{project.pk}/evaluations/",
                                        {"dataset_version": version.pk}, format="json")
    assert response.status_code == 202, response.json()
    pk = response.json()["id"]
    wait_for(lambda: Evaluation.objects.get(pk=pk).frames_done >= 2, what="two frames done in the first worker")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed = Evaluation.objects.get(pk=pk)
    assert killed.status == "running" and killed.frames_done < FRAMES  # nobody told the database
    done_before = set(EvaluationFrame.objects.filter(evaluation_id=pk, status="done").values_list("image_id", flat=True))

    workers(delay=0.05, backend=CALLS, **quick)  # takes the evaluation over once its beat is 3 s old
    finished = wait_for(lambda: (e := Evaluation.objects.get(pk=pk)).status in ("done", "failed") and e,
                        what="the evaluation to finish in the second worker")
    assert finished.status == "done", finished.error
    assert finished.frames_done == FRAMES and finished.driver != killed.driver
    runs = calls.read_text().splitlines()
    colours = {frame.pk: frame_colour(frame) for frame in frames}
    assert all(runs.count(colours[pk]) == 1 for pk in done_before)  # a finished frame never runs again
    assert {colours[frame.pk] for frame in frames} <= set(runs)
    assert len(done_before) >= 2
