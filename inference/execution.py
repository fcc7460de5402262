"""Where a job runs: the `inference` channel workers (REDIS_URL set) or a thread pool here.

`INFERENCE_EXECUTION` (optional setting/env: `worker` or `thread`) overrides the choice made
from `REDIS_URL`. Worker mode sends `{"type": "job.run", "job_id": N}` to the `inference`
channel, served by `manage.py runworker inference`. Thread mode runs jobs in a small
bounded pool of this process, so the event loop and the request never wait for a model.
"""

import asyncio
import logging
import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import close_old_connections, connection
from django.dispatch import Signal

logger = logging.getLogger(__name__)

CHANNEL = "inference"
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
# Sent once when this process starts running jobs itself: the periodic work (reaper, MLflow
# outbox) then runs here too (`InferenceConfig.ready` connects `inference.periodic`).
embedded_started = Signal()


def execution_mode() -> str:
    mode = getattr(settings, "INFERENCE_EXECUTION", "") or os.environ.get("INFERENCE_EXECUTION", "")
    if mode in {"worker", "thread"}:
        return mode
    return "worker" if settings.REDIS_URL else "thread"


def _thread_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            size = int(os.environ.get("INFERENCE_THREADS", "1"))
            _pool = ThreadPoolExecutor(max_workers=max(1, size), thread_name_prefix="inference")
            embedded_started.send(sender=ThreadPoolExecutor)
        return _pool


def _caller_loop():
    """The event loop of the process's ASGI server, seen from a request's sync thread (or None)."""
    local = SyncToAsync.threadlocal
    if getattr(local, "main_event_loop_pid", None) == os.getpid():
        return getattr(local, "main_event_loop", None)
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _run_in_thread(job_id: int, loop) -> None:
    from inference.services import job_run

    # Broadcasts from this thread (async_to_sync) then run on the server's loop, as they would
    # from a request: the in-memory channel layer only works within one event loop.
    SyncToAsync.threadlocal.main_event_loop = loop
    SyncToAsync.threadlocal.main_event_loop_pid = os.getpid() if loop is not None else None
    close_old_connections()
    try:
        job_run(job_id=job_id)
    except Exception:  # job_run records failures itself; this only keeps the pool alive
        logger.exception("Detection job %s crashed", job_id)
    finally:
        SyncToAsync.threadlocal.main_event_loop = None
        connection.close()


def job_dispatch(job_id: int):
    """Hand a committed job to whoever runs jobs here; returns the thread-pool Future, if any."""
    if execution_mode() == "worker":
        async_to_sync(get_channel_layer().send)(CHANNEL, {"type": "job.run", "job_id": job_id})
        return None
    return _thread_pool().submit(_run_in_thread, job_id, _caller_loop())


class _OrderedSender:
    """One thread with one event loop that sends messages to groups in the order given.

    A job hands its `detection.*` messages over and carries on with the next prompt instead of
    waiting for Redis; the loop keeps its Redis connections between messages. A message still
    queued when the process dies is lost, which costs nothing: the job row is the truth, and
    clients poll it.
    """

    def __init__(self):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, group: str, message: dict) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="detection-sender", daemon=True)
                self._thread.start()
        self._queue.put((group, message))

    def flush(self, timeout: float = 10) -> bool:
        """Wait until everything sent so far has left (tests and the benchmark)."""
        done = threading.Event()
        self._queue.put((None, done))
        if self._thread is None or not self._thread.is_alive():
            return True
        return done.wait(timeout)

    def _run(self):
        loop = asyncio.new_event_loop()
        layer = get_channel_layer()
        while True:
            group, message = self._queue.get()
            if group is None:
                message.set()
                continue
            try:
                loop.run_until_complete(layer.group_send(group, message))
            except Exception:  # a lost live update must never stop the ones after it
                logger.exception("Sending %s to %s failed", message.get("type"), group)


_sender = _OrderedSender()


def detection_send(group: str, message_type: str, payload: dict) -> None:
    """Send a `detection.*` message now: through the ordered sender with the Redis layer (worker
    mode), else through `annotations.broadcast` like every other live update."""
    if execution_mode() == "worker":
        _sender.send(group, {"type": message_type, **payload})
        return
    from annotations.broadcast import broadcast

    broadcast(group, message_type, payload)


def detection_flush(timeout: float = 10) -> bool:
    return _sender.flush(timeout)


class Heartbeat:
    """While a job runs, touch its `heartbeat_at` every `interval` seconds from a side thread.

    A dead worker stops beating, so the reaper can tell it from a slow model.
    """

    def __init__(self, *, job_id: int, attempt: int, interval: float):
        self.job_id, self.attempt, self.interval = job_id, attempt, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)

    def _run(self):
        from django.utils import timezone

        from inference.models import DetectionJob, JobStatus

        try:
            while not self._stop.wait(self.interval):
                DetectionJob.objects.filter(pk=self.job_id, status=JobStatus.RUNNING, attempts=self.attempt).update(
                    heartbeat_at=timezone.now()
                )
        except Exception:  # a missed beat at worst lets the reaper retry the job
            logger.exception("Heartbeat of job %s failed", self.job_id)
        finally:
            connection.close()
