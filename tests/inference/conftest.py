"""Fixtures of the inference tests: the in-memory detector by default, a moondream stand-in on disk."""

import pytest
from django.core.cache import cache

from inference.detectors import get_detector
from inference.detectors.memory import MemoryDetector
from inference.status import STATUS_KEY
from tests.factories import LabelFactory
from tests.inference.moondream_standin import build_standin


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
def hf_cache(tmp_path, monkeypatch):
    """An empty Hugging Face cache, offline: what `make weights` fills. Returns its `hub` directory.

    huggingface_hub reads its cache path and offline flag once, at import: both are set on its
    constants too (transformers and tokenizers read them there at each call).
    """
    from huggingface_hub import constants

    hub = tmp_path / "hf-home" / "hub"
    hub.mkdir(parents=True)
    monkeypatch.setenv("HF_HOME", str(hub.parent))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hub))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return hub


@pytest.fixture
def moondream_standin(tmp_path, hf_cache):
    """The stand-in remote-code model in a local directory, its tokenizer in the cache: (directory, weights)."""
    return build_standin(tmp_path / "moondream-standin", hf_cache)


@pytest.fixture
def labels(project):
    """Two labels; `vehicle` detects with the prompt `car`."""
    return [LabelFactory(project=project, name="person"), LabelFactory(project=project, name="vehicle", prompt="car")]
