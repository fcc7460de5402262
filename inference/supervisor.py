"""The supervisor of the one spawned process that runs detectors, in both modes.

- Embedded (no `REDIS_URL`): the web process's `supervisor`. The child is spawned on the server's
  first connection (`embedded_worker_warm`, so its periodic work runs) or the first job, and
  relays what it sends (the services' broadcasts, in order) to this process's channel layer.
- Team mode: each `runworker inference` process makes one (its command,
  `relay=False`, `keep_alive=True`): its child starts at once, uses Redis itself, and the
  consumer waits in `run()` for each job, so the worker still takes one job at a time.

The child (`inference.child_process.Child`: spawned, never forked) is replaced whenever it
dies. One supervisor thread owns it: it sends the child one job
id at a time and watches it:

- the child dies (SIGSEGV in a native library, an OOM kill, `os._exit`): the job is re-queued
  once on a fresh child, then failed with what happened (`job_worker_lost`);
- the job runs past `INFERENCE_JOB_TIMEOUT_SECONDS`: the child is killed and the job failed.

Sends run on the server's event loop (the in-memory channel layer works within one loop):
the loop is the one `async_to_sync` finds from the request thread that submitted the job.
"""

import asyncio
import logging
import multiprocessing
import threading
import time
from collections import deque
from multiprocessing.connection import wait

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import close_old_connections, connection

from inference.child_process import Child, exit_reason
from inference.execution import CHANNEL, execution_mode
from inference.services.job_recovery import job_worker_lost
from inference.services.job_state import max_attempts
from inference.status import worker_status_store

logger = logging.getLogger(__name__)


async def _running_loop():
    return asyncio.get_running_loop()


class Supervisor:
    """Runs jobs in a child process, one at a time, in the order they were submitted.

    `relay`: the child's channel layer is this process (embedded); `keep_alive`: a child runs
    even with no job, and one that dies idle is replaced (team mode: it does the periodic work).
    """

    def __init__(self, *, relay: bool = True, keep_alive: bool = False):
        self.relay, self.keep_alive = relay, keep_alive
        self.child: Child | None = None
        self.starts = 0
        self._inbox_out, self._inbox_in = multiprocessing.Pipe(duplex=False)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: deque[int] = deque()
        self._losses: dict[int, int] = {}
        self._over: dict[int, threading.Event] = {}  # jobs `run()` waits for

    def start(self) -> None:
        with self._lock:
            self._start_thread()

    def _start_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._serve, name="inference-supervisor", daemon=True)
            self._thread.start()

    def keep_warm(self, loop: asyncio.AbstractEventLoop) -> None:
        """Embedded, once the server serves: start the child now and keep one running, so its periodic
        work (reaping, closing idle sessions, sending MLflow runs) does not wait for the first job."""
        with self._lock:
            self.keep_alive = True
            if self._loop is None or not self._loop.is_running():
                self._loop = loop
            self._start_thread()
            self._inbox_in.send(None)  # wakes an idle supervisor thread, which then starts the child

    def submit(self, job_id: int) -> None:
        """Queue a committed job (from any sync thread); starts the supervisor on first use."""
        with self._lock:
            if self._loop is None or not self._loop.is_running():
                self._loop = async_to_sync(_running_loop)()
            self._start_thread()
            self._inbox_in.send(job_id)

    def run(self, job_id: int) -> None:
        """Run a job in the child and return once it is over: done, failed, or re-queued after a
        crash (team mode: the re-queued job goes back to the channel, for any worker)."""
        over = threading.Event()
        with self._lock:
            self._over[job_id] = over
            self._start_thread()
            self._inbox_in.send(job_id)
        over.wait()

    # -- the supervisor thread ------------------------------------------------------------

    def _serve(self) -> None:
        while True:
            try:
                self._step()
            except Exception:  # the supervisor must outlive anything one job does
                logger.exception("The detection supervisor failed a round")
                time.sleep(1)

    def _step(self) -> None:
        job_id = self._pending.popleft() if self._pending else None
        if job_id is None:
            if self.keep_alive and self.child is None:
                self._replace_child()
            self._wait(None, None)
            return
        try:
            self._run_in_child(job_id)
        finally:
            over = self._over.pop(job_id, None)
            if over is not None:
                over.set()

    def _run_in_child(self, job_id: int) -> None:
        if not self._ensure_child(job_id):
            return
        try:
            self.child.conn.send(("run", job_id))
        except OSError:  # it died just now, before taking the job
            self._child_died(job_id)
            return
        self._wait(job_id, time.monotonic() + float(settings.INFERENCE_JOB_TIMEOUT_SECONDS))

    def _ensure_child(self, job_id: int) -> bool:
        if self.child is not None and self.child.process.is_alive():
            return True
        try:
            self._start_child()
            return True
        except Exception as error:
            self._on_server(job_worker_lost, job_id=job_id, reason=str(error), retry=False)
            return False

    def _start_child(self) -> None:
        self.child = None
        try:
            self.child = Child(relay=self.relay)
        except Exception:
            logger.exception("Starting the detector process failed")
            raise
        self.starts += 1

    def _replace_child(self) -> None:
        """A fresh child right after a death, so the retry (and the periodic work) need not wait."""
        try:
            self._start_child()
        except Exception:  # the next job tries again, and fails with the reason if it still cannot start
            pass

    def _wait(self, job_id: int | None, deadline: float | None) -> None:
        """Relay the child's messages until the job is over (or, idle, until something happens)."""
        while True:
            child = self.child
            waitables = [self._inbox_out] + ([child.conn, child.process.sentinel] if child else [])
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = wait(waitables, timeout)
            if self._inbox_out in ready:
                self._take_submissions()
            if child is not None and child.conn in ready:
                try:
                    message = child.conn.recv()
                except (EOFError, OSError):
                    self._child_died(job_id)
                    return
                finished = self._handle(message)
                if job_id is None or finished == job_id:
                    return
                continue
            if child is not None and child.process.sentinel in ready:
                self._child_died(job_id)
                return
            if job_id is None:
                return  # idle: new submissions are in; the next round starts them
            if not ready:
                self._timed_out(job_id)
                return

    def _take_submissions(self) -> None:
        while self._inbox_out.poll():
            job_id = self._inbox_out.recv()
            if job_id is not None and job_id not in self._pending:  # None: a wake-up (keep_warm)
                self._pending.append(job_id)

    def _handle(self, message: tuple):
        """Relay one message of the child; returns the job id when the child reports it idle."""
        kind = message[0]
        if kind == "group_send":
            self._send(get_channel_layer().group_send, message[1], message[2])
        elif kind == "send" and message[1] == CHANNEL and message[2].get("type") == "job.run":
            if message[2].get("job_id") not in self._pending:
                self._pending.append(message[2].get("job_id"))
        elif kind == "send":
            self._send(get_channel_layer().send, message[1], message[2])
        elif kind == "status":  # the child's detector, for the status endpoint and the prompt checks
            worker_status_store(message[1])
        elif kind == "idle":
            self._losses.pop(message[1], None)
            return message[1]
        return None

    def _child_died(self, job_id: int | None) -> None:
        exitcode = self.child.stop()
        self.child = None
        reason = exit_reason(exitcode)
        logger.error("The detector process died during job %s: %s", job_id, reason)
        if job_id is None:
            if self.keep_alive:
                self._replace_child()
            return
        losses = self._losses[job_id] = self._losses.get(job_id, 0) + 1
        outcome = self._on_server(job_worker_lost, job_id=job_id, reason=reason, retry=losses < max_attempts())
        if outcome != "requeued":
            self._losses.pop(job_id, None)
        self._replace_child()

    def _timed_out(self, job_id: int) -> None:
        self.child.stop()
        self.child = None
        seconds = float(settings.INFERENCE_JOB_TIMEOUT_SECONDS)
        reason = (
            f"The detector ran longer than INFERENCE_JOB_TIMEOUT_SECONDS ({seconds:g} s) on this frame; "
            "its process was stopped."
        )
        logger.error("Job %s: %s", job_id, reason)
        self._on_server(job_worker_lost, job_id=job_id, reason=reason, retry=False)
        self._replace_child()

    # -- running on the server's event loop ----------------------------------------------

    def _server_loop(self) -> asyncio.AbstractEventLoop | None:
        loop = self._loop
        return loop if loop is not None and loop.is_running() else None

    def _send(self, send, *args) -> None:
        """One channel-layer send, on the server's loop; waits for it, so sends keep their order."""
        try:
            loop = self._server_loop()
            if loop is None:
                async_to_sync(send)(*args)
            else:
                asyncio.run_coroutine_threadsafe(send(*args), loop).result(timeout=30)
        except Exception:  # a lost live update must never stop the ones after it
            logger.exception("Relaying a message of the detector process failed")

    def _on_server(self, function, **kwargs):
        """Call a service as a request would: in a sync thread of the server's loop, so its
        broadcasts after commit go out on that loop."""

        def call():
            close_old_connections()
            try:
                return function(**kwargs)
            finally:
                connection.close()

        loop = self._server_loop()
        if loop is None:
            return call()
        return asyncio.run_coroutine_threadsafe(sync_to_async(call, thread_sensitive=False)(), loop).result()


supervisor = Supervisor()


def embedded_worker_warm(loop: asyncio.AbstractEventLoop) -> bool:
    """Start the embedded detector process with the server (it does the periodic work); True if it did."""
    if execution_mode() != "embedded" or float(settings.PERIODIC_WORK_SECONDS) <= 0:
        return False
    supervisor.keep_warm(loop)
    return True
