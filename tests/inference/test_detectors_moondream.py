"""The moondream backend through the real transformers loading path, with a tiny model built on disk."""

import pytest
import torch
from PIL import Image as PILImage

from inference.detectors import get_detector
from inference.detectors.auto import auto_detector
from inference.detectors.base import Detection, DetectorUnavailable
from inference.detectors.moondream import MoondreamDetector
from inference.detectors.opencv import OpenCVDetector


def test_the_tiny_model_loads_through_from_pretrained_with_its_saved_weights(tiny_moondream, settings):
    directory, weights = tiny_moondream
    settings.INFERENCE_BACKEND, settings.MOONDREAM_MODEL, settings.MOONDREAM_DEVICE = "moondream", str(directory), "cpu"
    detector = get_detector()
    model = detector.load()
    assert type(model).__name__ == "TinyMoondream"
    assert torch.equal(model.proj.weight, weights["proj.weight"])
    assert torch.equal(model.proj.bias, weights["proj.bias"])
    assert detector.load() is model  # loaded once per process
    assert get_detector() is detector


def test_a_three_prompt_job_encodes_the_image_once_and_clips_normalised_boxes_to_pixels(tiny_moondream, settings):
    directory, _ = tiny_moondream
    settings.MOONDREAM_DEVICE = "cpu"
    detector = MoondreamDetector(model=str(directory))
    image = PILImage.new("RGB", (200, 100), (10, 20, 30))
    stats = {}
    results = list(detector.detect(image, ["person", "car", "dog"], stats=stats))

    assert detector.model.encode_calls == 1
    assert stats["encode_calls"] == 1
    assert detector.model.detect_calls == ["person", "car", "dog"]
    assert [prompt for prompt, _ in results] == ["person", "car", "dog"]
    person, car, dog = (boxes for _, boxes in results)
    assert person == [Detection(50.0, 50.0, 100.0, 75.0)]
    # x_min -0.1 → 0, y_max 1.2 → 100; x_max 1.5 → 200.
    assert car == [Detection(0.0, 10.0, 100.0, 100.0), Detection(180.0, 90.0, 200.0, 100.0)]
    assert dog == []  # entirely outside the image


def test_the_detector_yields_each_prompt_before_computing_the_next(tiny_moondream, settings):
    directory, _ = tiny_moondream
    settings.MOONDREAM_DEVICE = "cpu"
    detector = MoondreamDetector(model=str(directory))
    results = detector.detect(PILImage.new("RGB", (40, 40)), ["person", "car"])
    first = next(results)
    assert first[0] == "person"
    assert detector.model.detect_calls == ["person"]
    results.close()


def test_missing_weights_name_the_setting_and_the_download_command(tmp_path, monkeypatch, settings):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings.MOONDREAM_DEVICE = "cpu"
    detector = MoondreamDetector(model=str(tmp_path / "nowhere"), revision="2025-06-21")
    with pytest.raises(DetectorUnavailable) as caught:
        detector.load()
    message = str(caught.value)
    assert "MOONDREAM_MODEL" in message
    assert f"hf download {tmp_path / 'nowhere'} --revision 2025-06-21" in message


def test_auto_picks_moondream_when_the_weights_are_a_local_directory(tiny_moondream, settings):
    directory, _ = tiny_moondream
    settings.MOONDREAM_MODEL = str(directory)
    detector = auto_detector()
    assert isinstance(detector, MoondreamDetector)
    assert str(directory) in detector.status()["reason"]
    assert detector.model is None  # choosing does not load


def test_auto_falls_back_to_opencv_without_local_weights_and_says_why(tmp_path, monkeypatch, settings):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings.MOONDREAM_MODEL, settings.MOONDREAM_REVISION = "hitl-tests/no-such-model", "2025-06-21"
    settings.INFERENCE_BACKEND = "auto"
    detector = get_detector()
    assert isinstance(detector, OpenCVDetector)
    status = detector.status()
    assert status["backend"] == "opencv"
    assert "not available offline" in status["reason"]
    assert "hf download hitl-tests/no-such-model --revision 2025-06-21" in status["reason"]


def test_weights_in_the_hugging_face_cache_are_found_offline_for_the_pinned_revision_only(tmp_path, monkeypatch):
    """The cache layout huggingface_hub writes: refs/<revision> → commit, snapshots/<commit>/..."""
    from inference.detectors.auto import moondream_weights_local

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    repo = tmp_path / "hub" / "models--vikhyatk--moondream2"
    commit = "0123456789abcdef0123456789abcdef01234567"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "2025-06-21").write_text(commit)
    (repo / "snapshots" / commit).mkdir(parents=True)
    (repo / "snapshots" / commit / "config.json").write_text("{}")
    found, where = moondream_weights_local("vikhyatk/moondream2", "2025-06-21", cache_dir=str(tmp_path / "hub"))
    assert found, where
    missing, why = moondream_weights_local("vikhyatk/moondream2", "2024-01-01", cache_dir=str(tmp_path / "hub"))
    assert not missing and "not in the local Hugging Face cache" in why
