"""The moondream backend through the real transformers loading path, on a stand-in of the published remote code.

The stand-in (tests/inference/moondream_standin) breaks the way moondream2 2025-06-21 breaks under
transformers 5: its `__init__` never calls `post_init()` (loading raised AttributeError) and its
computed, non-persistent buffers were left uninitialised (0 objects, in silence). These tests load
it from a local directory and by repo id from an offline Hugging Face cache and check the buffers
and the boxes, so they fail if the loader's compatibility step stops working.
"""

import shutil

import pytest
import torch
from PIL import Image as PILImage

from inference.detectors import get_detector
from inference.detectors.auto import auto_detector
from inference.detectors.base import Detection, DetectorUnavailable
from inference.detectors.moondream import MoondreamDetector
from inference.detectors.opencv import OpenCVDetector
from tests.inference.moondream_standin import (
    HIDDEN,
    SLOTS,
    TOKENIZER_REPO,
    build_standin,
    publish_to_cache,
    rotary_table,
)

REPO_ID, REVISION = "vikhyatk/moondream2", "2025-06-21"


def standin_from(where, directory, hub):
    """A detector pointed at the stand-in as a user would: MOONDREAM_MODEL=<dir>, or the repo id after `hf download`."""
    if where == "local directory":
        return MoondreamDetector(model=str(directory), revision=REVISION, device="cpu")
    publish_to_cache(directory, hub, REPO_ID, REVISION)
    shutil.rmtree(directory)  # only the cache is left
    return MoondreamDetector(model=REPO_ID, revision=REVISION, device="cpu")


@pytest.mark.parametrize("where", ["local directory", "hugging face cache"])
def test_the_published_structure_loads_with_its_weights_and_computed_buffers_and_finds_its_boxes(
    where, moondream_standin, hf_cache
):
    directory, weights = moondream_standin
    detector = standin_from(where, directory, hf_cache)
    model = detector.load()

    assert type(model).__name__ == "HfStandin"
    assert torch.equal(model.model.encoder.weight, weights["model.encoder.weight"])
    assert torch.equal(model.model.region.boxes, weights["model.region.boxes"])
    # The buffers __init__ computes, not the uninitialised memory of a meta-device load.
    assert torch.allclose(model.model.text.freqs_cis, rotary_table(HIDDEN, SLOTS))
    assert torch.equal(model.model.text.attn_mask, torch.tril(torch.ones(SLOTS, SLOTS, dtype=torch.bool)))
    assert detector.status()["loaded"] is True and detector.status()["error"] is None
    assert detector.load() is model  # loaded once per process

    results = dict(detector.detect(PILImage.new("RGB", (200, 100)), ["person", "car", "cat"]))
    assert results == {
        "person": [Detection(50.0, 50.0, 100.0, 75.0)],
        "car": [Detection(0.0, 10.0, 100.0, 100.0), Detection(180.0, 90.0, 200.0, 100.0)],
        "cat": [],  # not a word the tokenizer knows
    }


def test_the_backend_setting_builds_one_detector_per_process(moondream_standin, settings):
    directory, _ = moondream_standin
    settings.INFERENCE_BACKEND, settings.MOONDREAM_MODEL, settings.MOONDREAM_DEVICE = "moondream", str(directory), "cpu"
    detector = get_detector()
    assert isinstance(detector, MoondreamDetector) and get_detector() is detector


def test_a_three_prompt_job_encodes_the_image_once_and_clips_normalised_boxes_to_pixels(moondream_standin):
    directory, _ = moondream_standin
    detector = MoondreamDetector(model=str(directory), device="cpu")
    inner = detector.load().model
    checked_encodes = inner.encode_calls  # the load's self-check ran one detection
    stats = {}
    image = PILImage.new("RGB", (200, 100), (10, 20, 30))
    results = list(detector.detect(image, ["person", "car", "dog"], stats=stats))

    assert inner.encode_calls - checked_encodes == 1 and stats["encode_calls"] == 1
    assert inner.detect_calls == ["object", "person", "car", "dog"]
    assert [prompt for prompt, _ in results] == ["person", "car", "dog"]
    person, car, dog = (boxes for _, boxes in results)
    assert person == [Detection(50.0, 50.0, 100.0, 75.0)]
    # x_min -0.1 → 0, y_max 1.2 → 100; x_max 1.5 → 200.
    assert car == [Detection(0.0, 10.0, 100.0, 100.0), Detection(180.0, 90.0, 200.0, 100.0)]
    assert dog == []  # entirely outside the image


def test_the_detector_yields_each_prompt_before_computing_the_next(moondream_standin):
    directory, _ = moondream_standin
    detector = MoondreamDetector(model=str(directory), device="cpu")
    results = detector.detect(PILImage.new("RGB", (40, 40)), ["person", "car"])
    first = next(results)
    assert first[0] == "person"
    assert detector.model.model.detect_calls == ["object", "person"]
    results.close()


def test_a_model_whose_computed_buffers_are_not_finite_is_refused_with_cause_and_fix(tmp_path, hf_cache):
    """rotary_base 0 makes the rotary table NaN: such a model would answer 0 objects for every prompt."""
    directory, _ = build_standin(tmp_path / "broken", hf_cache, rotary_base=0.0)
    detector = MoondreamDetector(model=str(directory), device="cpu")
    with pytest.raises(DetectorUnavailable) as caught:
        detector.load()
    message = str(caught.value)
    assert "model.text.freqs_cis" in message and "NaN" in message and "would find nothing" in message
    assert "pip install -r requirements.txt" in message
    status = detector.status()
    assert status["loaded"] is False and status["error"] == message
    with pytest.raises(DetectorUnavailable):  # every job hits it, none runs on the broken model
        list(detector.detect(PILImage.new("RGB", (40, 40)), ["person"]))


def test_a_tokenizer_missing_from_the_cache_is_a_missing_weights_error_naming_make_weights(moondream_standin, hf_cache):
    directory, _ = moondream_standin
    shutil.rmtree(hf_cache / f"models--{TOKENIZER_REPO.replace('/', '--')}")
    with pytest.raises(DetectorUnavailable) as caught:
        MoondreamDetector(model=str(directory), device="cpu").load()
    assert "make weights" in str(caught.value) and "MOONDREAM_MODEL" in str(caught.value)


def test_remote_code_raising_while_loading_becomes_a_detector_unavailable_naming_it(moondream_standin):
    directory, _ = moondream_standin
    rope = directory / "rope.py"
    rope.write_text(rope.read_text() + "\n\nraise AttributeError('rope needs a newer torch')\n")
    with pytest.raises(DetectorUnavailable) as caught:
        MoondreamDetector(model=str(directory), device="cpu").load()
    message = str(caught.value)
    assert "failed to load: AttributeError: rope needs a newer torch" in message
    assert "pip install -r requirements.txt" in message


def test_missing_weights_name_the_setting_and_the_download_command(tmp_path, hf_cache):
    detector = MoondreamDetector(model=str(tmp_path / "nowhere"), revision="2025-06-21", device="cpu")
    with pytest.raises(DetectorUnavailable) as caught:
        detector.load()
    message = str(caught.value)
    assert "MOONDREAM_MODEL" in message and "make weights" in message
    assert f"hf download {tmp_path / 'nowhere'} --revision 2025-06-21" in message


def test_auto_picks_moondream_when_the_weights_are_a_local_directory(moondream_standin, settings):
    directory, _ = moondream_standin
    settings.MOONDREAM_MODEL = str(directory)
    detector = auto_detector()
    assert isinstance(detector, MoondreamDetector)
    assert str(directory) in detector.status()["reason"]
    assert detector.model is None  # choosing does not load


def test_auto_falls_back_to_opencv_without_local_weights_and_says_why(hf_cache, settings):
    settings.MOONDREAM_MODEL, settings.MOONDREAM_REVISION = "hitl-tests/no-such-model", "2025-06-21"
    settings.INFERENCE_BACKEND = "auto"
    detector = get_detector()
    assert isinstance(detector, OpenCVDetector)
    status = detector.status()
    assert status["backend"] == "opencv"
    assert "not available offline" in status["reason"]
    assert "hf download hitl-tests/no-such-model --revision 2025-06-21" in status["reason"]


def test_weights_in_the_hugging_face_cache_are_found_offline_for_the_pinned_revision_only(tmp_path, hf_cache):
    """The cache layout huggingface_hub writes: refs/<revision> → commit, snapshots/<commit>/..."""
    from inference.detectors.auto import moondream_weights_local

    source = tmp_path / "files"
    source.mkdir()
    (source / "config.json").write_text("{}")
    publish_to_cache(source, hf_cache, "vikhyatk/moondream2", "2025-06-21")
    found, where = moondream_weights_local("vikhyatk/moondream2", "2025-06-21")
    assert found, where
    missing, why = moondream_weights_local("vikhyatk/moondream2", "2024-01-01")
    assert not missing and "not in the local Hugging Face cache" in why


@pytest.mark.django_db
def test_a_job_on_a_broken_model_fails_with_the_reason_shown_by_the_job_and_the_status(
    tmp_path, hf_cache, image, annotator, client_for, settings
):
    from inference.services import job_run
    from inference.status import worker_status_publish

    directory, _ = build_standin(tmp_path / "broken", hf_cache, rotary_base=0.0)
    settings.INFERENCE_BACKEND, settings.MOONDREAM_MODEL, settings.MOONDREAM_DEVICE = "moondream", str(directory), "cpu"
    settings.INFERENCE_EXECUTION = "worker"
    client = client_for(annotator)
    submitted = client.post(f"/api/images/{image.pk}/detect/", {"prompts": "person"}, format="json")
    assert submitted.status_code == 202
    job_run(job_id=submitted.json()["id"])  # what the worker does with the job's message
    worker_status_publish()  # and then reports its detector

    job = client.get(f"/api/jobs/{submitted.json()['id']}/").json()
    assert job["status"] == "failed" and "model.text.freqs_cis" in job["error"] and "NaN" in job["error"]
    status = client.get("/api/inference/status/").json()
    assert status["backend"] == "moondream" and status["loaded"] is False
    assert status["error"] == job["error"]
