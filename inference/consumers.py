"""The `inference` channel worker: `python manage.py runworker inference`.

Thin: `{"type": "job.run", "job_id": N}` → `inference.worker.job_handle`, which under
`runworker` runs the job in the worker's supervised child process and returns when it is over.
A SyncConsumer's handlers run one at a time per worker process, so a worker runs one job at a
time; scale by adding workers. The child also runs the periodic work (`inference.periodic`:
reap stale jobs, close idle annotation sessions, send the MLflow outbox, publish its detector
status), so a fresh worker picks up what a dead one left behind.
"""

from channels.consumer import SyncConsumer

from inference.worker import job_handle


class InferenceWorker(SyncConsumer):
    def job_run(self, message):
        job_handle(message.get("job_id"))
