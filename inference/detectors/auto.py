"""`INFERENCE_BACKEND=auto`: moondream when its weights are on this machine, else OpenCV.

Only offline checks (a local directory, or the Hugging Face cache holding the revision):
choosing a backend never downloads anything. The chosen detector carries `reason`, which
the status endpoint and the annotate page show.
"""

from pathlib import Path

from django.conf import settings

from inference.detectors.moondream import MoondreamDetector, download_command
from inference.detectors.opencv import OpenCVDetector


def moondream_weights_local(model: str, revision: str, *, cache_dir: str | None = None) -> tuple[bool, str]:
    """Whether the weights can be loaded without the network, and where they are (or why not)."""
    path = Path(model).expanduser()
    if path.is_dir():
        if (path / "config.json").is_file():
            return True, f"local directory {path}"
        return False, f"{path} has no config.json"
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:  # pragma: no cover - a transformers dependency
        return False, "huggingface_hub is not installed"
    try:
        snapshot = Path(snapshot_download(repo_id=model, revision=revision, local_files_only=True, cache_dir=cache_dir))
    except (LocalEntryNotFoundError, OSError, ValueError) as error:
        return False, f"{model}@{revision} is not in the local Hugging Face cache ({type(error).__name__})"
    if not (snapshot / "config.json").is_file():
        return False, f"the cached snapshot of {model}@{revision} has no config.json"
    return True, f"{model}@{revision} found in the Hugging Face cache"


def auto_choice() -> tuple[type, str]:
    """The backend class `auto` picks here and why, found without building it (offline checks only)."""
    model, revision = settings.MOONDREAM_MODEL, settings.MOONDREAM_REVISION
    present, where = moondream_weights_local(model, revision)
    if present:
        return MoondreamDetector, f"INFERENCE_BACKEND=auto and the moondream2 weights are present: {where}."
    return OpenCVDetector, (
        f"INFERENCE_BACKEND=auto and the moondream2 weights are not available offline ({where}), so the "
        f"offline OpenCV detector is active. For moondream2 run `{download_command(model, revision)}`."
    )


def auto_detector():
    backend, reason = auto_choice()
    detector = backend()
    detector.reason = reason
    return detector
