"""A test-only detector whose boxes are known, and a stand-in worker that runs queued jobs."""

import pytest
from django.core.cache import cache

from inference.detectors import get_detector
from inference.detectors.base import Detection
from inference.models import DetectionJob, JobStatus
from inference.services import job_run
from inference.status import STATUS_KEY, worker_status_publish

KNOWN_BACKEND = "tests.feedback.evaluation_helpers.KnownBoxesDetector"


class KnownBoxesDetector:
    """Answers `answers[(width, height)][prompt]` (frames told apart by their size); nothing otherwise."""

    name = "known"
    supported_prompts = None
    answers: dict = {}
    calls: list = []

    def detect(self, image, prompts, *, stats=None):
        if stats is not None:
            stats.update(encode_calls=1, encode_seconds=0.0)
        for prompt in prompts:
            KnownBoxesDetector.calls.append((image.size, prompt))
            boxes = self.answers.get(image.size, {}).get(prompt, [])
            yield prompt, [Detection(*box) if len(box) == 5 else Detection(*box, None) for box in boxes]

    def status(self) -> dict:
        return {"backend": "known", "model": "known-model", "revision": "r1", "device": "cpu",
                "supported_prompts": None, "reason": "test detector"}


@pytest.fixture
def known_detector(settings):
    settings.INFERENCE_BACKEND = KNOWN_BACKEND
    KnownBoxesDetector.answers, KnownBoxesDetector.calls = {}, []
    get_detector.cache_clear()
    cache.delete(STATUS_KEY)
    yield KnownBoxesDetector
    get_detector.cache_clear()
    cache.delete(STATUS_KEY)


def run_queued_jobs() -> int:
    """What an inference worker does with the queued jobs (and its status report); returns how many ran."""
    worker_status_publish()
    ids = list(DetectionJob.objects.filter(status=JobStatus.QUEUED).order_by("id").values_list("pk", flat=True))
    for pk in ids:
        job_run(job_id=pk)
    return len(ids)
