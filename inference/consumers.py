"""The `inference` channel worker: `python manage.py runworker inference`.

Thin: `{"type": "job.run", "job_id": N}` → `inference.worker.job_process`. A SyncConsumer's
handlers run one at a time per worker process, so a worker runs one job at a time; scale by
adding workers. Each worker also runs the periodic work (`inference.periodic`: reap stale
jobs, close idle annotation sessions, send the MLflow outbox, publish its detector status)
from a side thread that `runworker` starts (`inference.worker.worker_start`), so a fresh
worker picks up what a dead one left behind.
"""

from channels.consumer import SyncConsumer

from inference.worker import job_process


class InferenceWorker(SyncConsumer):
    def job_run(self, message):
        job_process(message.get("job_id"))
