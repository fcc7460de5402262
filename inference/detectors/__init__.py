"""Detector backends, chosen by `INFERENCE_BACKEND` like Django's mail backends.

`INFERENCE_BACKEND` is a short name below or a dotted path to a class. `get_detector()`
builds it once per process (the model is loaded once and reused); building is cheap —
backends import torch, transformers or cv2 only when they first need them.

A job may carry its own choice (`DetectionJob.choice`: `{backend, model, revision}`, e.g. an
evaluation of another backend or revision): `get_detector(choice)` builds that one instead,
cached per choice in the process that runs jobs (at most `INFERENCE_DETECTORS_CACHED`, since
each may hold a model in memory). Only the short names below can be chosen this way — never a
dotted path — and a moondream model only from `INFERENCE_MODELS_ALLOWED`, as its remote code runs
in the worker.
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
CHOOSABLE = ("moondream", "station", "opencv")  # what a job may ask for by name
MODEL_BACKENDS = ("moondream",)  # the backends whose model and revision a job may choose


class DetectorChoiceInvalid(ValueError):
    """A job's detector choice names a backend or model this deployment does not allow."""


def models_allowed() -> list[str]:
    return [settings.MOONDREAM_MODEL, *settings.INFERENCE_MODELS_ALLOWED]


def choice_normalise(choice: dict | None, *, collapse: bool = True) -> dict:
    """`{}` for the configured detector, else `{backend, model, revision}` checked (DetectorChoiceInvalid).

    `collapse` (in the process that runs jobs): a choice that names this process's configured
    backend with its model and revision is the configured detector, `{}`, so it shares the loaded
    model. A web process does not collapse: its settings need not be the workers'.
    """
    if not choice:
        return {}
    backend = str(choice.get("backend") or "").strip().lower()
    model, revision = str(choice.get("model") or "").strip(), str(choice.get("revision") or "").strip()
    if backend in ("", "auto"):
        if model or revision:
            raise DetectorChoiceInvalid("A model or revision needs a backend that takes one: moondream.")
        return {}
    if backend not in CHOOSABLE:
        raise DetectorChoiceInvalid(f"Unknown backend {backend!r}; a job may choose {', '.join(CHOOSABLE)}.")
    if backend not in MODEL_BACKENDS and (model or revision):
        raise DetectorChoiceInvalid(f"The {backend} backend takes no model or revision; only moondream does.")
    if backend in MODEL_BACKENDS:
        if model and model not in models_allowed():
            raise DetectorChoiceInvalid(
                f"Model {model!r} is not allowed here; allowed: {', '.join(models_allowed())} "
                "(MOONDREAM_MODEL and INFERENCE_MODELS_ALLOWED).")
        model = model or settings.MOONDREAM_MODEL
        revision = revision or settings.MOONDREAM_REVISION
        configured = (settings.MOONDREAM_MODEL, settings.MOONDREAM_REVISION) == (model, revision)
    else:
        configured = True
    if collapse and configured and settings.INFERENCE_BACKEND == backend:
        return {}
    return {"backend": backend, "model": model, "revision": revision}


@functools.cache
def _configured():
    name = settings.INFERENCE_BACKEND
    return import_string(BACKENDS.get(name, name))()


@functools.lru_cache(maxsize=None)
def _chosen_cache():
    return functools.lru_cache(maxsize=max(1, int(settings.INFERENCE_DETECTORS_CACHED)))(_chosen_build)


def _chosen_build(backend: str, model: str, revision: str):
    cls = import_string(BACKENDS[backend])
    detector = cls(model=model, revision=revision) if backend in MODEL_BACKENDS else cls()
    detector.reason = f"chosen by the job ({backend}{f' {model}@{revision}' if model else ''})"
    return detector


def get_detector(choice: dict | None = None):
    """The configured detector (see module docstring), or the one a job chose (`choice`)."""
    choice = choice_normalise(choice)
    if not choice:
        return _configured()
    return _chosen_cache()(choice["backend"], choice["model"], choice["revision"])


def _cache_clear() -> None:
    _configured.cache_clear()
    _chosen_cache.cache_clear()


get_detector.cache_clear = _cache_clear


def detector_described(choice: dict) -> dict:
    """What a chosen detector is (`choice` normalised, not empty), found without building it."""
    backend = import_string(BACKENDS[choice["backend"]])
    prompts = backend.supported_prompts
    return {
        "backend": backend.name, "model": choice.get("model", ""), "revision": choice.get("revision", ""),
        "device": "", "supported_prompts": None if prompts is None else list(prompts),
        "reason": f"Chosen for the job: {choice['backend']}.",
    }


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
                   "MOONDREAM_ENDPOINT", "MOONDREAM_API_KEY", "INFERENCE_DETECTORS_CACHED"}:
        get_detector.cache_clear()


setting_changed.connect(_reset, dispatch_uid="inference.detectors.reset")
