"""Which detector is active, as the people who submit jobs should see it.

With workers (REDIS_URL), the web process is not the one running the model: each worker
publishes its detector's status to the cache (Redis) when it starts, after each job and
every reaper round, and the status endpoint and prompt validation use that report. Without
workers the web process's own detector is the truth.
"""

import os
import socket

from django.core.cache import cache
from django.utils import timezone

from inference.detectors import get_detector
from inference.execution import execution_mode
from inference.models import DetectorConfig

STATUS_KEY = "inference:worker-status"
STATUS_TTL = 300  # seconds; workers refresh it at least every reaper round


def worker_status_publish() -> dict:
    """Called in a worker: publish this process's detector status for the web processes."""
    status = {
        **get_detector().status(),
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "reported_at": timezone.now().isoformat(),
    }
    cache.set(STATUS_KEY, status, timeout=STATUS_TTL)
    return status


def detector_status() -> dict:
    """Backend, model, revision, device, supported prompts and why — from the workers when they run the jobs."""
    mode = execution_mode()
    if mode == "worker":
        reported = cache.get(STATUS_KEY)
        if reported:
            return {**reported, "execution": mode, "source": "worker"}
        local = get_detector().status()
        hint = " No inference worker has reported yet: start `python manage.py runworker inference`."
        reason = (local.get("reason") or "").rstrip(".")
        return {**local, "execution": mode, "source": "web", "reason": (reason + "." if reason else "") + hint}
    return {**get_detector().status(), "execution": mode, "source": "web"}


def project_detector_config(*, project_id: int) -> dict | None:
    """The project's active configuration (the newest `DetectorConfig`), and whether the workers run it."""
    config = DetectorConfig.objects.filter(project_id=project_id).order_by("-created_at", "-id").first()
    if config is None:
        return None
    running = detector_status()
    same = all(not getattr(config, k) or str(running.get(k, "")) == getattr(config, k) for k in ("backend", "revision"))
    return {
        "backend": config.backend, "model": config.model, "revision": config.revision, "prompts": config.prompts,
        "source": config.source, "scores": config.scores, "set_by": config.created_by_id,
        "set_at": config.created_at.isoformat(), "workers_match": same,
    }
