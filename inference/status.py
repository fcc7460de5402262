"""Which detector is active, as the people who submit jobs should see it.

Detectors run only in job-running processes (`runworker inference` workers, or the embedded
child the web process supervises), so only they know the model's real state: whether it loaded,
why not, on which device. Each publishes its detector's status when it starts, after each job
and every `PERIODIC_STATUS_SECONDS`: a worker to the cache (Redis), the embedded child up its
pipe to the web process, whose supervisor puts it in that process's cache. The status endpoint
and the prompt checks read that report; until there is one, a web process describes the
configured backend without building it (`detector_configured`), and says so.
"""

import os
import socket
from collections.abc import Callable

from django.core.cache import cache
from django.utils import timezone

from inference.detectors import detector_configured, get_detector
from inference.execution import execution_mode
from inference.models import DetectorConfig

STATUS_KEY = "inference:worker-status"
STATUS_TTL = 300  # seconds; workers refresh it at least every reaper round
# Where this process's report goes instead of the cache: the embedded child's pipe (`inference.worker`).
_report_to: Callable[[dict], None] | None = None


def worker_status_report_to(send: Callable[[dict], None] | None) -> None:
    global _report_to
    _report_to = send


def worker_status_store(status: dict) -> None:
    """Record a job-running process's report where `detector_status` reads it."""
    cache.set(STATUS_KEY, status, timeout=STATUS_TTL)


_last_published: dict | None = None


def worker_status_publish(*, if_changed: bool = False) -> dict:
    """Called in a job-running process: publish its detector's status for the web processes.

    `if_changed` (after each job): only when the detector's status changed since the last report
    (its model loaded, failed, moved device); the periodic report refreshes it anyway."""
    global _last_published
    detector = get_detector().status()
    if if_changed and detector == _last_published:
        return {}
    _last_published = detector
    status = {
        **detector,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "reported_at": timezone.now().isoformat(),
    }
    (_report_to or worker_status_store)(status)
    return status


def detector_status() -> dict:
    """Backend, model, revision, device, supported prompts and why — as the process running the jobs reports it."""
    mode = execution_mode()
    reported = cache.get(STATUS_KEY)
    if reported:
        return {**reported, "execution": mode, "source": "worker"}
    if mode == "worker":
        hint = "No inference worker has reported yet: start `python manage.py runworker inference`."
    else:
        hint = "The detector process starts with the first detection job; its model's state shows once it has."
    configured = detector_configured()
    return {**configured, "execution": mode, "source": "web", "reason": f"{configured['reason'].rstrip('.')}. {hint}"}


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
        "thresholds_enabled": config.thresholds_enabled, "thresholds": config.thresholds,
    }
