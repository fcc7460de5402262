"""Where a job runs. Detectors never run in the web process.

- `worker` (the choice with `REDIS_URL`): `job_dispatch` sends `{"type": "job.run", "job_id": N}`
  to the `inference` channel, served by `manage.py runworker inference` processes.
- `embedded` (the default without it): the web process hands the job to its supervisor
  (`inference.supervisor`), which runs it in one spawned child worker process.

`INFERENCE_EXECUTION` (setting or env: `worker` or `embedded`; `thread` is the old name of
`embedded`) overrides the choice. Either way the job's progress reaches the browser the way
every other event does: the worker's services write, and `annotations.broadcast` sends after
commit (the embedded child's channel layer relays to the web process, see `inference.worker`).
"""

import logging
import threading
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.utils import timezone

from inference.models import DetectionJob, JobStatus

logger = logging.getLogger(__name__)

CHANNEL = "inference"
# The embedded supervisor's `submit`, registered by `InferenceConfig.ready()` (the supervisor
# writes jobs through the services, which dispatch through this module).
_embedded_submit: Callable[[int], None] | None = None


def execution_mode() -> str:
    """`worker` or `embedded`, as settings decided it (INFERENCE_EXECUTION, else by REDIS_URL)."""
    return "worker" if settings.INFERENCE_EXECUTION == "worker" else "embedded"


def embedded_submit_register(submit: Callable[[int], None]) -> None:
    global _embedded_submit
    _embedded_submit = submit


def job_dispatch(job_id: int) -> None:
    """Hand a committed job to whoever runs jobs here (a duplicate hand-over is harmless)."""
    if execution_mode() == "worker":
        async_to_sync(get_channel_layer().send)(CHANNEL, {"type": "job.run", "job_id": job_id})
        return
    _embedded_submit(job_id)


class RowHeartbeat:
    """While a piece of work runs, touch its row's `heartbeat_at` every `interval` seconds from a side
    thread (`rows`: a queryset selecting the row only while this holder still owns it).

    A dead process stops beating, so whoever takes over can tell it from a slow one.
    """

    def __init__(self, *, rows, interval: float, name: str):
        self.rows, self.name, self.interval = rows, name, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)

    def _run(self):
        try:
            while not self._stop.wait(self.interval):
                self.rows.update(heartbeat_at=timezone.now())
        except Exception:  # a missed beat at worst lets another process take the work over
            logger.exception("%s failed", self.name)
        finally:
            connection.close()


class Heartbeat(RowHeartbeat):
    """A running job's beat (see RowHeartbeat), by the attempt that owns it: the reaper re-queues a
    job whose worker died and tells it from a slow model."""

    def __init__(self, *, job_id: int, attempt: int, interval: float):
        rows = DetectionJob.objects.filter(pk=job_id, status=JobStatus.RUNNING, attempts=attempt)
        super().__init__(rows=rows, interval=interval, name=f"heartbeat-{job_id}")
