"""moondream2 through transformers, loaded once per process.

`AutoModelForCausalLM.from_pretrained(MOONDREAM_MODEL, revision=MOONDREAM_REVISION,
trust_remote_code=True)` on `MOONDREAM_DEVICE` (auto: cuda, then mps, then cpu). A job's
image is encoded once (`model.encode_image`) and the encoding is reused for every prompt:
`model.detect(encoded, prompt)["objects"]` gives normalised `x_min, y_min, x_max, y_max`,
turned into clipped pixel boxes here.
"""

import threading
import time

from django.conf import settings

from inference.detectors.base import DetectorUnavailable, pixel_box


def download_command(model: str, revision: str) -> str:
    return f"hf download {model} --revision {revision}"  # huggingface_hub 2.x ships `hf`, not `huggingface-cli`


def missing_weights_message(model: str, revision: str, error: Exception | None = None) -> str:
    cause = f" ({type(error).__name__}: {error})" if error else ""
    return (
        f"The moondream2 weights MOONDREAM_MODEL={model!r} (MOONDREAM_REVISION={revision!r}) could not be loaded"
        f"{cause}. Download them once with `{download_command(model, revision)}`, or set MOONDREAM_MODEL "
        f"to a local directory, or use INFERENCE_BACKEND=opencv."
    )


def resolve_device(requested: str) -> str:
    if requested and requested != "auto":
        return requested
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


class MoondreamDetector:
    name = "moondream"
    supported_prompts = None

    def __init__(self, *, model: str | None = None, revision: str | None = None, device: str | None = None):
        self.model_id = model or settings.MOONDREAM_MODEL
        self.revision = revision or settings.MOONDREAM_REVISION
        self.requested_device = device or settings.MOONDREAM_DEVICE
        self.device: str | None = None
        self.model = None
        self.reason = "INFERENCE_BACKEND=moondream"
        # One model per process: concurrent jobs (thread-pool mode) wait for the first load
        # and then take turns, as a model's forward pass is not meant to be re-entered.
        self._lock = threading.Lock()

    def load(self):
        """Load the model once; later calls return it."""
        if self.model is not None:
            return self.model
        try:
            from transformers import AutoModelForCausalLM
        except ImportError as error:  # pragma: no cover - transformers is a pinned requirement
            raise DetectorUnavailable(f"transformers is not installed: {error}") from error
        device = resolve_device(self.requested_device)
        try:
            model = AutoModelForCausalLM.from_pretrained(self.model_id, revision=self.revision, trust_remote_code=True)
        except (OSError, ValueError) as error:
            raise DetectorUnavailable(missing_weights_message(self.model_id, self.revision, error)) from error
        model = model.to(device)
        model.eval()
        self.device, self.model = device, model
        return model

    def detect(self, image, prompts, *, stats=None):
        with self._lock:
            model = self.load()
            import torch

            width, height = image.size
            with torch.inference_mode():
                started = time.perf_counter()
                encoded = model.encode_image(image)
                if stats is not None:
                    stats.update(encode_calls=1, encode_seconds=time.perf_counter() - started)
                for prompt in prompts:
                    objects = model.detect(encoded, prompt)["objects"]
                    boxes = [
                        pixel_box(
                            o["x_min"], o["y_min"], o["x_max"], o["y_max"], width=width, height=height,
                            score=o.get("score"),
                        )
                        for o in objects
                    ]
                    yield prompt, [box for box in boxes if box is not None]

    def status(self) -> dict:
        return {
            "backend": self.name,
            "model": self.model_id,
            "revision": self.revision,
            "device": self.device or self.requested_device,
            "loaded": self.model is not None,
            "supported_prompts": None,
            "reason": self.reason,
        }
