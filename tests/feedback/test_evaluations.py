"""Evaluations end to end with a detector whose boxes are known: COCO scores equal pycocotools' on
the run's own artifacts, the MLflow run and model version, reproducibility, cancel and resume,
and bad options that create nothing."""

import json

import pytest
from mlflow.tracking import MlflowClient

from annotations.errors import InvalidInput
from annotations.exports.service import dataset_export
from annotations.models import DatasetVersion, ImageStatus
from feedback.evaluation.models import Evaluation, EvaluationFrame
from feedback.evaluation.driver import evaluation_run
from feedback.evaluation.services import evaluation_cancel, evaluation_create, evaluation_resume
from tracking.models import TrackingOutbox
from inference.models import DetectionJob, Prediction
from tests.factories import BoxFactory, ImageFactory, LabelFactory
from tests.feedback.coco_reference import pycocotools_scores
from tests.feedback.evaluation_helpers import known_detector, run_queued_jobs  # noqa: F401

pytestmark = pytest.mark.django_db

TRUTH = {  # frame size -> [(label, box)]; 220x100 has no human box
    (200, 100): [("person", (10, 10, 50, 80)), ("car", (100, 20, 180, 90))],
    (210, 100): [("person", (20, 10, 60, 90)), ("bus", (120, 10, 200, 90))],
    (220, 100): [],
    (230, 100): [("car", (10, 10, 100, 90)), ("car", (120, 10, 220, 90))],
}
ANSWERS = {  # what the detector says per frame and prompt; `bus` is never found, `car` has no score
    (200, 100): {"person": [(12, 10, 52, 78, 0.9), (150, 50, 190, 95, 0.3)], "vehicle": [(100, 20, 175, 90)]},
    (210, 100): {"person": [(25, 10, 60, 88, 0.8)]},
    (220, 100): {"person": [(5, 5, 40, 40, 0.95)]},  # a confident false alarm: AP50 of `person` < 1
    (230, 100): {"vehicle": [(10, 10, 100, 90, 0.6)]},
    (240, 100): {"person": [(1, 1, 20, 20, 0.9)]},
}
HUMAN = {  # the prompt `human` finds exactly the people: the better prompt for the label `person`
    size: [(*box, 0.9) for name, box in boxes if name == "person"] for size, boxes in TRUTH.items()
}


@pytest.fixture
def verified(project, manager, known_detector):  # noqa: F811
    known_detector.answers = {size: {**answers, "human": HUMAN.get(size, [])} for size, answers in ANSWERS.items()}
    labels = {"person": LabelFactory(project=project, name="person"),
              "car": LabelFactory(project=project, name="car", prompt="vehicle"),
              "bus": LabelFactory(project=project, name="bus")}
    for index, (size, boxes) in enumerate(TRUTH.items()):
        frame = ImageFactory(project=project, width=size[0], height=size[1], frame_index=index,
                             status=ImageStatus.APPROVED)
        for name, (x0, y0, x1, y1) in boxes:
            BoxFactory(image=frame, label=labels[name], x_min=x0, y_min=y0, x_max=x1, y_max=y1)
    ImageFactory(project=project, width=240, height=100, frame_index=9, status=ImageStatus.NEW)
    return project


@pytest.fixture
def no_mlflow(settings):
    """An MLflow that refuses connections at once: runs stay queued in the outbox (tests not about MLflow)."""
    settings.MLFLOW_TRACKING_URI = "http://127.0.0.1:9"


def plain_export(project):
    """A COCO dataset version without DVC: seconds cheaper where the DVC pin is not what is tested."""
    return dataset_export(project=project, format="coco", only="approved").pk


def known_detector_prompts():
    """(frame size, prompts) of every detect() call, grouped per frame in call order."""
    from tests.feedback.evaluation_helpers import KnownBoxesDetector

    calls = {}
    for size, prompt in KnownBoxesDetector.calls:
        calls.setdefault(size, []).append(prompt)
    return list(calls.items())


def evaluate(project, user, **options):
    evaluation = evaluation_create(project=project, user=user, **options)
    return evaluation_run(evaluation_id=evaluation.pk, idle=run_queued_jobs)


def artifact(uri, run_id, path):
    local = MlflowClient(uri).download_artifacts(run_id, path)
    with open(local) as handle:
        return json.load(handle)


def test_scores_equal_pycocotools_on_the_runs_own_artifacts_and_the_run_is_complete(verified, manager, mlflow_store):
    evaluation = evaluate(verified, manager)
    assert evaluation.status == "done", evaluation.error
    assert evaluation.frames == evaluation.frames_done == 4  # approved frames only
    truth = artifact(mlflow_store, evaluation.mlflow_run_id, "ground_truth.json")
    found = artifact(mlflow_store, evaluation.mlflow_run_id, "detections.json")
    assert len(truth["images"]) == 4 and len(truth["annotations"]) == 6
    assert {d["score"] for d in found if d["category_id"] == verified.labels.get(name="car").pk} == {1.0, 0.6}
    reference = pycocotools_scores(truth, found)
    metrics = evaluation.metrics
    for key in ("map", "map_50", "map_75"):
        assert metrics[key] == pytest.approx(reference[key], abs=1e-12)
    assert metrics["ap_50"] == pytest.approx(reference["ap_50"], abs=1e-12)
    assert metrics["ap_50"]["bus"] == 0.0
    assert (metrics["tp"], metrics["fp"], metrics["fn"]) == (reference["tp"], reference["fp"], reference["fn"]) == (4, 2, 2)
    assert metrics["precision"] == 4 / 6 and metrics["recall"] == 4 / 6

    run = MlflowClient(mlflow_store).get_run(evaluation.mlflow_run_id)
    assert run.data.tags["hitl.kind"] == "evaluation" and run.data.tags["hitl.project"] == verified.name
    params = run.data.params
    assert (params["backend"], params["model"], params["revision"]) == ("known", "known-model", "r1")
    assert (params["prompt.person"], params["prompt.car"], params["prompt.bus"]) == ("person", "vehicle", "bus")
    dataset = evaluation.dataset_version
    assert dataset.git_rev and dataset.dvc_hash and params["dataset_git_rev"] == dataset.git_rev
    assert params["dataset_dvc_hash"] == dataset.dvc_hash and params["frames"] == "4"
    assert run.data.metrics["map"] == pytest.approx(metrics["map"])
    assert run.data.metrics["ap_50/person"] == pytest.approx(metrics["ap_50"]["person"])
    assert "seconds_per_frame" in run.data.metrics and "recall" in run.data.metrics
    names = {a.path for a in MlflowClient(mlflow_store).list_artifacts(evaluation.mlflow_run_id, "pr_curves")}
    assert names == {"pr_curves/person.png", "pr_curves/car.png", "pr_curves/bus.png"}
    worst = artifact(mlflow_store, evaluation.mlflow_run_id, "disagreements/disagreements.json")
    assert worst[0]["disagreement"] >= worst[-1]["disagreement"] > 0 and len(worst) == 4
    assert all(w["drawing"] for w in worst)

    [version] = MlflowClient(mlflow_store).search_model_versions(f"name = '{evaluation.registered_model}'")
    assert evaluation.registered_model == f"hitl-project-{verified.pk}-known"
    assert version.run_id == evaluation.mlflow_run_id and float(version.tags["map"]) == pytest.approx(metrics["map"])
    assert version.tags["revision"] == "r1"
    # The evaluation's boxes are its own: no pending AI boxes on the frames, no run per frame.
    assert not Prediction.objects.exists() and not DetectionJob.objects.exists()
    assert not TrackingOutbox.objects.filter(kind="detection_job").exists()

    # Reproducible: the same configuration on the same dataset version gives the same figures.
    again = evaluate(verified, manager, dataset=evaluation.dataset_version_id)
    assert again.dataset_version_id == evaluation.dataset_version_id and DatasetVersion.objects.count() == 1
    timing = {"seconds_per_frame", "wall_seconds"}
    assert {k: v for k, v in again.metrics.items() if k not in timing} == {
        k: v for k, v in metrics.items() if k not in timing}
    assert len(MlflowClient(mlflow_store).search_model_versions(f"name = '{evaluation.registered_model}'")) == 2


def test_prompt_overrides_and_limit_are_applied(verified, manager, no_mlflow):
    evaluation = evaluate(verified, manager, prompts=["car=person"], limit=2, dataset=plain_export(verified))
    assert evaluation.prompts == {"person": "person", "car": "person", "bus": "bus"}
    assert evaluation.frames == 2
    assert [sorted(prompts) for _, prompts in known_detector_prompts()] == [["bus", "person"]] * 2


@pytest.mark.parametrize("options, message", [
    ({"prompts": ["truck=lorry"]}, "Unknown label"),
    ({"prompts": ["car"]}, "LABEL=PROMPT"),
    ({"prompts": ["car=c4r"]}, "no usable prompt"),
    ({"backend": "yolo"}, "Unknown backend"),
    ({"backend": "moondream", "model": "someone/else"}, "not allowed"),
    ({"revision": "2024-01-01"}, "not '2024-01-01'"),
    ({"limit": 0}, "positive"),
    ({"dataset": "999999"}, "not one of this project"),
])
def test_a_bad_option_is_refused_with_a_clear_error_and_creates_nothing(verified, manager, options, message):
    with pytest.raises(Exception) as caught:
        evaluation_create(project=verified, user=manager, **options)
    assert message in caught.value.detail
    assert not Evaluation.objects.exists() and not DatasetVersion.objects.exists()


def test_no_verified_frames_is_refused(project, manager, known_detector):  # noqa: F811
    LabelFactory(project=project, name="person")
    ImageFactory(project=project, status=ImageStatus.SUBMITTED)
    with pytest.raises(InvalidInput, match="No verified frames"):
        evaluation_create(project=project, user=manager)
    assert evaluation_create(project=project, user=manager, only="submitted").frames == 0  # counted when it runs


def test_a_cancelled_evaluation_resumes_without_running_a_finished_frame_again(verified, manager, no_mlflow, settings,
                                                                              known_detector):  # noqa: F811
    settings.EVALUATION_WINDOW = 1
    evaluation = evaluation_create(project=verified, user=manager, dataset=plain_export(verified))

    def one_job_then_cancel():
        DetectionJob.objects.filter(status="queued").exists() and run_queued_jobs()
        if EvaluationFrame.objects.filter(evaluation=evaluation, status="done").exists():
            evaluation_cancel(evaluation=evaluation)

    stopped = evaluation_run(evaluation_id=evaluation.pk, idle=one_job_then_cancel)
    assert stopped.status == "cancelled" and 0 < stopped.frames_done < 4
    done_before = set(EvaluationFrame.objects.filter(evaluation=evaluation, status="done").values_list("image", flat=True))
    evaluation_resume(evaluation=stopped)
    finished = evaluation_run(evaluation_id=evaluation.pk, idle=run_queued_jobs)
    assert finished.status == "done" and finished.frames_done == 4
    per_frame = [size for size, prompt in known_detector.calls if prompt == "person"]
    assert len(per_frame) == len(set(per_frame)) == 4  # every frame detected once, across both runs
    assert done_before


def test_prompt_search_scores_every_candidate_in_one_pass_and_picks_the_better_prompt(verified, manager, no_mlflow):
    evaluation = evaluate(verified, manager, prompt_candidates=["person=person,human,pedestrian"],
                          dataset=plain_export(verified))
    search = evaluation.metrics["prompt_search"]["person"]
    assert search["current"] == "person" and search["best"] == "human"
    assert search["ap_50"]["human"] == 1.0 and search["ap_50"]["pedestrian"] == 0.0
    assert search["ap_50"]["person"] == evaluation.metrics["ap_50"]["person"] < 1.0
    assert search["gain"] == pytest.approx(1.0 - search["ap_50"]["person"])
    per_frame = known_detector_prompts()
    assert len(per_frame) == 4 and all(sorted(p) == ["bus", "human", "pedestrian", "person", "vehicle"]
                                       for _, p in per_frame)  # one job per frame asked every candidate


def test_prompt_candidates_for_an_unknown_label_are_refused(verified, manager):
    with pytest.raises(InvalidInput, match="Unknown label 'truck'"):
        evaluation_create(project=verified, user=manager, prompt_candidates=["truck=lorry,van"])
    assert not Evaluation.objects.exists()
