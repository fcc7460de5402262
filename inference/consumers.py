"""The `inference` channel worker: `python manage.py runworker inference`.

Thin: `{"type": "job.run", "job_id": N}` → `job_run`. A SyncConsumer's handlers run one at
a time per worker process, so a worker runs one job at a time; scale by adding workers.
Each worker also runs the periodic work (`inference.periodic`: reap stale jobs, close idle
annotation sessions, send the MLflow outbox, publish its detector status) from a side thread
started with the process (see `InferenceConfig.ready`), so a fresh worker picks up what a
dead one left behind.
"""

import logging

from channels.consumer import SyncConsumer
from django.db import close_old_connections

from inference.services import job_run
from inference.status import worker_status_publish

logger = logging.getLogger(__name__)


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
