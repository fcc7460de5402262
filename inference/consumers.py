"""The `inference` channel worker: `python manage.py runworker inference`.

Thin: `{"type": "job.run", "job_id": N}` → `job_run`. A SyncConsumer's handlers run one at
a time per worker process, so a worker runs one job at a time; scale by adding workers.
Each worker also reaps stale jobs from a side thread, every `INFERENCE_JOB_STALE_SECONDS / 2`,
starting with the process (see `InferenceConfig.ready`), so a fresh worker picks up what a
dead one left behind. The same thread calls `feedback.tracking.tracking_tick()` about once a
minute (close idle annotation sessions, flush the MLflow outbox), off the request path.
"""

import logging
import threading

from channels.consumer import SyncConsumer
from django.conf import settings
from django.db import close_old_connections, connection

from inference.services import job_run, jobs_reap_stale
from inference.status import worker_status_publish

logger = logging.getLogger(__name__)
_reaper_started = threading.Event()
TRACKING_TICK_SECONDS = 60


def _reap_forever(stop: threading.Event | None = None):
    interval = max(1.0, settings.INFERENCE_JOB_STALE_SECONDS / 2)
    stop = stop or threading.Event()
    stop.wait(1.0)  # let start-up (the app registry) finish first
    while True:
        try:
            close_old_connections()
            worker_status_publish()
            outcome = jobs_reap_stale()
            if any(outcome.values()):
                logger.warning("Reaped stale detection jobs: %s", outcome)
        except Exception:  # the database may be restarting; try again next round
            logger.exception("Reaping stale jobs failed")
        finally:
            connection.close()
        if stop.wait(interval):
            return


def _tick_forever(stop: threading.Event | None = None):
    """MLflow bookkeeping in its own thread, so a slow tracking server never delays reaping."""
    from feedback.tracking import tracking_tick  # late: the worker imports this module at start-up

    stop = stop or threading.Event()
    while not stop.wait(TRACKING_TICK_SECONDS):
        try:
            close_old_connections()
            tracking_tick()
        except Exception:  # tracking_tick promises not to raise; this guards the thread anyway
            logger.exception("tracking_tick failed")
        finally:
            connection.close()


def reaper_start() -> None:
    """Start this process's reaper thread once."""
    if _reaper_started.is_set():
        return
    _reaper_started.set()
    threading.Thread(target=_reap_forever, name="inference-reaper", daemon=True).start()
    threading.Thread(target=_tick_forever, name="inference-tracking", daemon=True).start()


class InferenceWorker(SyncConsumer):
    def job_run(self, message):
        job_id = message.get("job_id")
        if not isinstance(job_id, int) or isinstance(job_id, bool):
            logger.warning("Ignoring malformed job.run message: %r", message)
            return
        close_old_connections()
        try:
            job = job_run(job_id=job_id)
            worker_status_publish()  # the device is known once the model is loaded
            logger.info("Job %s: %s", job_id, "not runnable (gone or taken)" if job is None else job.status)
        except Exception:  # job_run records failures; a crash here must not stop the worker
            logger.exception("Job %s crashed the handler", job_id)
        finally:
            close_old_connections()
