"""A detector that breaks the process running it, for the crash and hang tests only.

The real OpenCV detector, plus two prompts: `segfault` kills its own process with SIGSEGV, as a
native library reading out of bounds does, and `hang` sleeps far past any test's timeout.
Selected with `INFERENCE_BACKEND=tests.inference.faulty.FaultyDetector` in a test's server or
worker process; nothing outside the tests names it.
"""

import os
import signal
import time
from pathlib import Path

from inference.detectors.opencv import OpenCVDetector


class FaultyDetector(OpenCVDetector):
    name = "faulty"
    supported_prompts = tuple(sorted((*OpenCVDetector.supported_prompts, "segfault", "hang")))

    def __init__(self):
        super().__init__()
        self.reason = "INFERENCE_BACKEND selects the crashing test detector"

    def detect(self, image, prompts, *, stats=None):
        if not {"segfault", "hang"} & set(prompts):
            yield from super().detect(image, prompts, stats=stats)  # the plain OpenCV detector, timed as such
            return
        for prompt in prompts:
            if prompt == "segfault":
                if os.environ.get("FAULTY_CRASH_STAMP"):  # bench/worker_process.py times crash -> detection.failed
                    Path(os.environ["FAULTY_CRASH_STAMP"]).write_text(repr(time.time()))
                os.kill(os.getpid(), signal.SIGSEGV)
            elif prompt == "hang":
                time.sleep(3600)
            else:
                yield from super().detect(image, [prompt], stats=stats)

    def status(self) -> dict:
        return {**super().status(), "backend": self.name}
