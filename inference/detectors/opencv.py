"""Classical detectors shipped inside opencv-python-headless: no download, works offline.

Haar cascades from `cv2.data.haarcascades` for faces, eyes, cat faces, bodies and number
plates; HOG + linear SVM people detector for `person`. A closed vocabulary: anything else
is refused with the list of supported prompts. Scores are confidence proxies (Haar: share
of neighbouring detections; HOG: logistic of the SVM margin), comparable within a prompt.
"""

import functools
import math
import threading
import time

import numpy as np
from django.conf import settings

from inference.detectors.base import check_supported, pixel_box

CASCADES = {
    "face": "haarcascade_frontalface_default.xml",
    "profile face": "haarcascade_profileface.xml",
    "eye": "haarcascade_eye.xml",
    "smile": "haarcascade_smile.xml",
    "cat": "haarcascade_frontalcatface_extended.xml",
    "cat face": "haarcascade_frontalcatface_extended.xml",
    "full body": "haarcascade_fullbody.xml",
    "body": "haarcascade_fullbody.xml",
    "upper body": "haarcascade_upperbody.xml",
    "lower body": "haarcascade_lowerbody.xml",
    "plate": "haarcascade_russian_plate_number.xml",
    "license plate": "haarcascade_russian_plate_number.xml",
}
HOG_PROMPTS = ("person", "pedestrian")
MIN_NEIGHBORS = 5
# HOG's people window is 64x128 (plus padding): below it detectMultiScale reads out of bounds and the
# process dies natively (SIGSEGV / heap abort), so smaller frames run on an upscaled copy.
HOG_MIN_SIZE = (64 + 16, 128 + 16)
HAAR_MIN_SIZE = (24, 24)


@functools.cache
def threads_set() -> None:
    """OpenCV's pool at INFERENCE_THREADS (default: cores − 1), once per process: by default it takes
    every core, but the process running detectors shares them with its parent (the web process, the
    runworker, evaluation drivers), and a parallel loop then waits for its descheduled threads."""
    import cv2

    cv2.setNumThreads(max(1, int(settings.INFERENCE_THREADS)))


def _max_pixels() -> int:
    return int(settings.INFERENCE_MAX_PIXELS)


def _fit(gray, *, minimum, max_pixels):
    """The array to detect on and its scale factor: upscaled to `minimum`, downscaled to `max_pixels`."""
    import cv2

    height, width = gray.shape[:2]
    factor = max(minimum[0] / width, minimum[1] / height, 1.0)
    if factor == 1.0 and width * height > max_pixels:
        factor = math.sqrt(max_pixels / (width * height))
    if factor == 1.0:
        return gray, 1.0
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    return cv2.resize(gray, size, interpolation=interpolation), factor


class OpenCVDetector:
    name = "opencv"
    supported_prompts = tuple(sorted((*CASCADES, *HOG_PROMPTS)))

    def __init__(self):
        self.reason = "INFERENCE_BACKEND=opencv"
        self._cascades = {}
        self._hog = None
        self._lock = threading.Lock()  # cv2 classifiers are loaded once and shared by threads

    def _cascade(self, prompt):
        import cv2

        with self._lock:
            if prompt not in self._cascades:
                self._cascades[prompt] = cv2.CascadeClassifier(cv2.data.haarcascades + CASCADES[prompt])
            return self._cascades[prompt]

    def _people(self, gray, width, height, shrink=1.0):
        import cv2

        with self._lock:
            if self._hog is None:
                self._hog = cv2.HOGDescriptor()
                self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        gray, k = _fit(gray, minimum=HOG_MIN_SIZE, max_pixels=_max_pixels())
        k *= shrink
        rects, weights = self._hog.detectMultiScale(gray, winStride=(8, 8), padding=(8, 8), scale=1.05)
        out = []
        for (x, y, w, h), weight in zip(rects, np.ravel(weights)):
            score = round(1 / (1 + math.exp(-float(weight))), 3)
            out.append(pixel_box(x / k, y / k, (x + w) / k, (y + h) / k, width=width, height=height, score=score,
                                 scale=False))
        return out

    def _haar(self, prompt, gray, width, height, shrink=1.0):
        cascade = self._cascade(prompt)
        gray, k = _fit(gray, minimum=HAAR_MIN_SIZE, max_pixels=_max_pixels())
        k *= shrink
        smallest = max(16, min(gray.shape[:2]) // 40)
        rects, neighbours = cascade.detectMultiScale2(
            gray, scaleFactor=1.1, minNeighbors=MIN_NEIGHBORS, minSize=(smallest, smallest)
        )
        out = []
        for (x, y, w, h), n in zip(rects, np.ravel(neighbours)):
            score = round(float(n) / (float(n) + MIN_NEIGHBORS), 3)
            out.append(pixel_box(x / k, y / k, (x + w) / k, (y + h) / k, width=width, height=height, score=score,
                                 scale=False))
        return out

    def detect(self, image, prompts, *, stats=None):
        import cv2

        check_supported(self, prompts)
        threads_set()
        started = time.perf_counter()
        # Straight to one byte per pixel, then downscaled once for every prompt: an 80-megapixel frame
        # never exists as RGB copies here.
        gray, shrink = _fit(np.asarray(image.convert("L")), minimum=(1, 1), max_pixels=_max_pixels())
        gray = cv2.equalizeHist(gray)
        if stats is not None:
            stats.update(encode_calls=1, encode_seconds=time.perf_counter() - started)
        width, height = image.size
        for prompt in prompts:
            boxes = (
                self._people(gray, width, height, shrink)
                if prompt in HOG_PROMPTS
                else self._haar(prompt, gray, width, height, shrink)
            )
            boxes = sorted((b for b in boxes if b is not None), key=lambda b: -(b.score or 0))
            yield prompt, boxes

    def status(self) -> dict:
        import cv2

        return {
            "backend": self.name,
            "model": "opencv haar cascades + HOG people",
            "revision": cv2.__version__,
            "device": "cpu",
            "supported_prompts": list(self.supported_prompts),
            "reason": self.reason,
        }
