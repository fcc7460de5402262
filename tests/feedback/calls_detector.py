"""The slow in-memory detector that also writes down each frame it ran on, for a test whose worker is
another process: one line per detect() call, the colour of the frame's first pixel (each test frame
has its own colour). Selected with `INFERENCE_BACKEND=tests.feedback.calls_detector.CallsDetector`
and `DETECTOR_CALLS_LOG=<file>`; nothing outside the tests names it."""

import os

from inference.detectors.memory import SlowMemoryDetector


class CallsDetector(SlowMemoryDetector):
    name = "calls"

    def detect(self, image, prompts, *, stats=None):
        with open(os.environ["DETECTOR_CALLS_LOG"], "a") as log:
            log.write(f"{image.getpixel((0, 0))}\n")
        yield from super().detect(image, prompts, stats=stats)
