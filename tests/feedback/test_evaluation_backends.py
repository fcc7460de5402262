"""An evaluation may run another backend, model or revision than the workers' configured one: each
job carries the detector it asks for and the worker builds it (cached per choice). Here the worker
is configured with OpenCV and one comparison holds an OpenCV run and a run of the moondream stand-in
(the tiny remote-code model the inference tests build). An evaluation's jobs are not shown to the
people viewing the frames: no `detection.*` on the frame's group, only `evaluation.progress`."""

import pytest

from annotations.broadcast import image_group, project_group
from annotations.models import ImageStatus
from feedback.evaluation.driver import evaluation_run
from feedback.evaluation.services import evaluation_create
from inference.detectors import get_detector
from inference.detectors.moondream import MoondreamDetector
from inference.detectors.opencv import OpenCVDetector
from inference.models import DetectionJob, Prediction
from inference.services import job_submit
from inference.selectors import predictions_for_image
from tests.factories import BoxFactory, ImageFactory, LabelFactory
from tests.feedback.evaluation_helpers import run_queued_jobs
from tests.inference.conftest import hf_cache, moondream_standin  # noqa: F401

pytestmark = pytest.mark.django_db
REVISION = "2025-06-21"


@pytest.fixture
def opencv_worker(settings):
    settings.INFERENCE_BACKEND = "opencv"
    settings.MLFLOW_TRACKING_URI = "http://127.0.0.1:9"  # MLflow is not what these tests are about
    get_detector.cache_clear()
    yield
    get_detector.cache_clear()


@pytest.fixture
def verified(project, opencv_worker):
    """Two approved 64x48 frames whose person is where the stand-in finds one ((0.25, 0.5)-(0.5, 0.75))."""
    person = LabelFactory(project=project, name="person")
    frames = []
    for index in range(2):
        frame = ImageFactory(project=project, frame_index=index, status=ImageStatus.APPROVED)
        BoxFactory(image=frame, label=person, x_min=16, y_min=24, x_max=32, y_max=36)
        frames.append(frame)
    return frames


def evaluate(project, user, **options):
    evaluation = evaluation_create(project=project, user=user, **options)
    return evaluation_run(evaluation_id=evaluation.pk, idle=run_queued_jobs)


def test_two_backends_are_compared_on_the_same_frames_each_job_running_the_detector_it_chose(
    project, manager, verified, moondream_standin, settings, client_for, sent,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    directory, _ = moondream_standin
    settings.INFERENCE_MODELS_ALLOWED = [str(directory)]
    settings.MOONDREAM_DEVICE = "cpu"

    with django_capture_on_commit_callbacks(execute=True):
        opencv = evaluate(project, manager)
        standin = evaluate(project, manager, backend="moondream", model=str(directory), revision=REVISION)

    assert opencv.status == standin.status == "done", (opencv.error, standin.error)
    assert opencv.detector["choice"] == {} and opencv.detector["ran"]["backend"] == "opencv"
    assert standin.detector["choice"] == {"backend": "moondream", "model": str(directory), "revision": REVISION}
    assert standin.detector["ran"] == {"backend": "moondream", "model": str(directory), "revision": REVISION}
    assert standin.metrics["ap_50"] == {"person": 1.0}  # the stand-in finds exactly the human boxes
    assert opencv.metrics["ap_50"]["person"] < 1.0  # HOG finds no 16x12 person on a plain frame
    # The worker keeps each chosen detector: one stand-in model loaded for both frames, beside OpenCV.
    chosen = get_detector(standin.detector["choice"])
    assert isinstance(chosen, MoondreamDetector) and chosen.model is not None
    assert get_detector(standin.detector["choice"]) is chosen and isinstance(get_detector(), OpenCVDetector)

    listed = client_for(manager).get(f"/api/projects/{project.pk}/evaluations/").json()["results"]
    assert [(e["backend"], e["metrics"]["map_50"]) for e in listed] == [
        ("moondream", 1.0), ("auto", opencv.metrics["map_50"])]
    # Nobody viewing the frames saw the evaluations' jobs; the project's group followed them.
    frame_groups = {image_group(frame.pk) for frame in verified}
    assert not [t for g, t, _ in sent if g in frame_groups]
    assert {t for g, t, _ in sent if g == project_group(project.pk)} == {"evaluation.progress"}
    assert not DetectionJob.objects.exists()


def test_a_model_not_allowed_is_refused_and_creates_nothing(project, manager, verified):
    with pytest.raises(Exception, match="not allowed") as caught:
        evaluation_create(project=project, user=manager, backend="moondream", model="someone/else")
    assert not project.evaluations.exists()


def test_an_evaluation_job_is_neither_broadcast_nor_listed_on_its_frame(project, manager, verified, sent,
                                                                      django_capture_on_commit_callbacks):
    frame = verified[0]
    with django_capture_on_commit_callbacks(execute=True):
        job = job_submit(image=frame, user=manager, prompts=["person", "face"], purpose="evaluate",
                         choice={"backend": "opencv"})
        run_queued_jobs()
    job.refresh_from_db()
    assert job.status == "done" and job.backend == "opencv"
    assert not [t for g, t, _ in sent if g == image_group(frame.pk)]
    Prediction.objects.create(job=job, image=frame, prompt="person", x_min=1, y_min=1, x_max=9, y_max=9, score=0.9)
    assert not predictions_for_image(image=frame).exists()
