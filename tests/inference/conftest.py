"""Fixtures of the inference tests: the in-memory detector by default, a tiny moondream model on disk."""

import json

import pytest
from django.core.cache import cache

from inference.detectors import get_detector
from inference.detectors.memory import MemoryDetector
from inference.status import STATUS_KEY
from tests.factories import LabelFactory

TINY_MODELLING = '''
import torch
from transformers import PretrainedConfig, PreTrainedModel


class TinyMoondreamConfig(PretrainedConfig):
    model_type = "tiny_moondream"

    def __init__(self, hidden=8, answers=None, **kwargs):
        self.hidden = hidden
        self.answers = answers or {}
        super().__init__(**kwargs)


class TinyMoondream(PreTrainedModel):
    """The moondream2 surface the backend uses: encode_image() and detect(encoded, prompt)."""

    config_class = TinyMoondreamConfig

    def __init__(self, config):
        super().__init__(config)
        self.proj = torch.nn.Linear(3, config.hidden)
        self.encode_calls = 0
        self.detect_calls = []
        self.post_init()

    def encode_image(self, image):
        self.encode_calls += 1
        pixels = torch.tensor(list(image.convert("RGB").resize((4, 4)).getdata()), dtype=torch.float32)
        return {"features": self.proj(pixels / 255.0), "size": image.size}

    def detect(self, encoded, prompt):
        if not (isinstance(encoded, dict) and "features" in encoded):
            raise TypeError("detect() must be given the encoding, not the image")
        self.detect_calls.append(prompt)
        return {"objects": [dict(box) for box in self.config.answers.get(prompt, [])]}
'''

# Normalised answers of the tiny model: some inside, some spilling out of the image (to be clipped).
TINY_ANSWERS = {
    "person": [{"x_min": 0.25, "y_min": 0.5, "x_max": 0.5, "y_max": 0.75}],
    "car": [
        {"x_min": -0.1, "y_min": 0.1, "x_max": 0.5, "y_max": 1.2},
        {"x_min": 0.9, "y_min": 0.9, "x_max": 1.5, "y_max": 1.0},
    ],
    "dog": [{"x_min": 1.2, "y_min": 0.2, "x_max": 1.4, "y_max": 0.4}],  # wholly outside: dropped
}


def build_tiny_moondream(directory, answers=TINY_ANSWERS):
    """A model directory loadable with AutoModelForCausalLM(..., trust_remote_code=True), offline."""
    import torch
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "modeling_tiny.py").write_text(TINY_MODELLING)
    weights = {"proj.weight": torch.arange(24, dtype=torch.float32).reshape(8, 3) / 10, "proj.bias": torch.ones(8)}
    save_file(weights, str(directory / "model.safetensors"))
    config = {
        "architectures": ["TinyMoondream"],
        "model_type": "tiny_moondream",
        "hidden": 8,
        "answers": answers,
        "auto_map": {
            "AutoConfig": "modeling_tiny.TinyMoondreamConfig",
            "AutoModelForCausalLM": "modeling_tiny.TinyMoondream",
        },
    }
    (directory / "config.json").write_text(json.dumps(config))
    return directory, weights


@pytest.fixture(autouse=True)
def memory_backend(settings):
    """Every inference test runs the in-memory detector unless it picks another backend."""
    settings.INFERENCE_BACKEND = "memory"
    MemoryDetector.reset()
    get_detector.cache_clear()
    cache.delete(STATUS_KEY)  # a worker of an earlier test may have reported its detector
    yield MemoryDetector
    get_detector.cache_clear()
    cache.delete(STATUS_KEY)


@pytest.fixture
def tiny_moondream(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    return build_tiny_moondream(tmp_path / "tiny-moondream")


@pytest.fixture
def labels(project):
    """Two labels; `vehicle` detects with the prompt `car`."""
    return [LabelFactory(project=project, name="person"), LabelFactory(project=project, name="vehicle", prompt="car")]
