"""moondream2 through transformers, loaded once per process.

`AutoModelForCausalLM.from_pretrained(MOONDREAM_MODEL, revision=MOONDREAM_REVISION,
trust_remote_code=True)` on `MOONDREAM_DEVICE` (auto: cuda, then mps, then cpu). A job's
image is encoded once (`model.encode_image`) and the encoding is reused for every prompt:
`model.detect(encoded, prompt)["objects"]` gives normalised `x_min, y_min, x_max, y_max`,
turned into clipped pixel boxes here.

Loading goes through `hf_compat.load_remote_model` (the published remote code needs a small
step under transformers 5). A model that loads but is broken finds nothing without an error
(moondream2 with a NaN rotary table answers 0 objects for every prompt), so after loading,
`self_check` looks once at its computed buffers and runs a detection on a small synthetic
image; any failure while loading or checking is a DetectorUnavailable naming cause and fix.
"""

import inspect
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
        f"{cause}. Download them once with `make weights` (the weights and their tokenizer, "
        f"`{download_command(model, revision)}` alone misses the tokenizer), or set MOONDREAM_MODEL "
        f"to a local directory, or use INFERENCE_BACKEND=opencv."
    )


def load_failed_message(model: str, revision: str, error: Exception) -> str:
    return (
        f"moondream2 MOONDREAM_MODEL={model!r} (MOONDREAM_REVISION={revision!r}) failed to load: "
        f"{type(error).__name__}: {error}. Its remote code does not run with the installed libraries: "
        f"install the pinned ones (`pip install -r requirements.txt`) and the pinned revision "
        f"(`make weights`), or use INFERENCE_BACKEND=opencv."
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


def self_check(model, *, model_id: str, revision: str) -> None:
    """Refuse a model that loaded but would find nothing in silence (see module docstring)."""
    import torch
    from PIL import Image, ImageDraw

    from inference.detectors.hf_compat import non_finite_buffers  # lazy: imports torch

    where = f"moondream2 MOONDREAM_MODEL={model_id!r} (MOONDREAM_REVISION={revision!r})"
    broken = non_finite_buffers(model)
    if broken:
        raise DetectorUnavailable(
            f"{where} loaded, but its computed buffers {', '.join(broken)} hold NaN or infinity, so it would "
            f"find nothing. The transformers version does not build this remote code correctly: install the "
            f"pinned requirements (`pip install -r requirements.txt`), or use INFERENCE_BACKEND=opencv."
        )
    image = Image.new("RGB", (64, 48), (40, 90, 160))
    ImageDraw.Draw(image).rectangle((16, 12, 40, 36), fill=(220, 200, 40))
    # One object is enough to show the path works; an unbounded check could decode up to 50 (minutes on CPU).
    bounded = {"settings": {"max_objects": 1}} if "settings" in inspect.signature(model.detect).parameters else {}
    try:
        with torch.inference_mode():
            objects = model.detect(model.encode_image(image), "object", **bounded)["objects"]
    except Exception as error:
        raise DetectorUnavailable(
            f"{where} loaded, but a detection on a test image failed ({type(error).__name__}: {error}). "
            f"Install the pinned requirements and revision (`pip install -r requirements.txt`, `make weights`)."
        ) from error
    if not isinstance(objects, list):
        raise DetectorUnavailable(
            f"{where} loaded, but detect() answered {type(objects).__name__} instead of a list of objects: "
            f"MOONDREAM_REVISION does not match this backend; use the pinned revision (`make weights`)."
        )


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
        self.error: str | None = None  # why the last load failed, shown by the status endpoint
        # One model per process: concurrent jobs (thread-pool mode) wait for the first load
        # and then take turns, as a model's forward pass is not meant to be re-entered.
        self._lock = threading.Lock()

    def load(self):
        """Load and check the model once; later calls return it. Every failure is a DetectorUnavailable."""
        if self.model is not None:
            return self.model
        try:
            self.device, self.model = self._load_checked()
        except DetectorUnavailable as error:
            self.error = str(error)  # a later call tries again: the weights may have been fixed meanwhile
            raise
        self.error = None
        return self.model

    def _load_checked(self):
        try:
            from inference.detectors.hf_compat import load_remote_model  # lazy: imports torch and transformers
        except ImportError as error:  # pragma: no cover - transformers and torch are pinned requirements
            raise DetectorUnavailable(f"transformers/torch are not installed: {error}") from error
        try:
            import torch

            # Its CPU pool at INFERENCE_THREADS, not every core: the process shares them with its parent.
            torch.set_num_threads(max(1, int(settings.INFERENCE_THREADS)))
            device = resolve_device(self.requested_device)
            model = load_remote_model(self.model_id, revision=self.revision)
        except (OSError, ValueError) as error:  # no weights, no tokenizer, an unknown revision
            raise DetectorUnavailable(missing_weights_message(self.model_id, self.revision, error)) from error
        except Exception as error:  # remote code that does not run here: say so, never raise it raw
            raise DetectorUnavailable(load_failed_message(self.model_id, self.revision, error)) from error
        try:
            model = model.to(device)
            model.eval()
        except Exception as error:  # MOONDREAM_DEVICE=cuda without a GPU, out of memory
            raise DetectorUnavailable(
                f"moondream2 loaded but cannot run on MOONDREAM_DEVICE={self.requested_device!r} ({device}): "
                f"{type(error).__name__}: {error}. Set MOONDREAM_DEVICE=cpu or free the device."
            ) from error
        self_check(model, model_id=self.model_id, revision=self.revision)
        return device, model

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
            "error": self.error,
            "supported_prompts": None,
            "reason": self.reason,
        }
