"""Detector backends, chosen by `INFERENCE_BACKEND` like Django's mail backends.

`INFERENCE_BACKEND` is a short name below or a dotted path to a class. `get_detector()`
builds it once per process (the model is loaded once and reused); building is cheap —
backends import torch, transformers or cv2 only when they first need them.
"""

import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

BACKENDS = {
    "auto": "inference.detectors.auto.auto_detector",
    "moondream": "inference.detectors.moondream.MoondreamDetector",
    "station": "inference.detectors.station.StationDetector",
    "opencv": "inference.detectors.opencv.OpenCVDetector",
    "memory": "inference.detectors.memory.MemoryDetector",
}


@functools.cache
def get_detector():
    """The process's detector (see module docstring)."""
    name = settings.INFERENCE_BACKEND
    return import_string(BACKENDS.get(name, name))()


def detector_configured() -> dict:
    """What the configured backend is, for a process that does not run detectors (a web process
    before a worker reported): its class's name and prompts, found without building it, loading
    a model or importing cv2 (`auto` makes its offline weights check)."""
    name = settings.INFERENCE_BACKEND
    if name == "auto":
        from inference.detectors.auto import auto_choice  # like BACKENDS: a backend module loads only when chosen

        backend, reason = auto_choice()
    else:
        backend, reason = import_string(BACKENDS.get(name, name)), f"INFERENCE_BACKEND={name}"
    prompts = backend.supported_prompts
    return {
        "backend": backend.name, "model": "", "revision": "", "device": "",
        "supported_prompts": None if prompts is None else list(prompts), "reason": reason,
    }


def _reset(*, setting, **kwargs):
    if setting in {"INFERENCE_BACKEND", "MOONDREAM_MODEL", "MOONDREAM_REVISION", "MOONDREAM_DEVICE",
                   "MOONDREAM_ENDPOINT", "MOONDREAM_API_KEY"}:
        get_detector.cache_clear()


setting_changed.connect(_reset, dispatch_uid="inference.detectors.reset")
