"""Fast, deterministic in-memory detectors for tests and benchmarks (like Django's locmem mail).

`MemoryDetector` answers any prompt with boxes derived from the prompt and the image size, so
a test can predict them (`MemoryDetector.expected(prompt, width, height)`). It counts calls in
class attributes, which tests reset with `MemoryDetector.reset()`.

`SlowMemoryDetector` sleeps `INFERENCE_MEMORY_DELAY` seconds (env, default 1) before each
prompt: a stand-in for a slow model when a test needs to kill a worker mid-job.
"""

import hashlib
import time

from django.conf import settings

from inference.detectors.base import Detection, pixel_box


class MemoryDetector:
    name = "memory"
    supported_prompts = None
    encode_calls = 0
    detect_calls: list = []

    @classmethod
    def reset(cls):
        MemoryDetector.encode_calls = 0
        MemoryDetector.detect_calls = []

    @staticmethod
    def expected(prompt: str, width: int, height: int) -> list[Detection]:
        """The boxes this backend gives for `prompt`: 1 to 3, at positions taken from its hash."""
        digest = hashlib.sha256(prompt.encode()).digest()
        boxes = []
        for rank in range(1 + digest[0] % 3):
            a, b, c, d = digest[1 + 4 * rank : 5 + 4 * rank]
            x0, y0 = a / 255 * 0.6, b / 255 * 0.6
            box = pixel_box(x0, y0, x0 + 0.1 + c / 255 * 0.3, y0 + 0.1 + d / 255 * 0.3, width=width, height=height,
                            score=round(0.5 + digest[20 + rank] / 510, 3))
            boxes.append(box)
        return boxes

    def delay(self) -> float:
        return 0.0

    def detect(self, image, prompts, *, stats=None):
        started = time.perf_counter()
        MemoryDetector.encode_calls += 1
        width, height = image.size
        if stats is not None:
            stats.update(encode_calls=1, encode_seconds=time.perf_counter() - started)
        for prompt in prompts:
            if self.delay():
                time.sleep(self.delay())
            MemoryDetector.detect_calls.append(prompt)
            yield prompt, self.expected(prompt, width, height)

    def status(self) -> dict:
        return {
            "backend": self.name, "model": "memory", "revision": "", "device": "cpu", "supported_prompts": None,
            "reason": f"INFERENCE_BACKEND selects the in-memory test detector ({type(self).__name__}).",
        }


class SlowMemoryDetector(MemoryDetector):
    name = "memory-slow"

    def delay(self) -> float:
        return float(settings.INFERENCE_MEMORY_DELAY)
