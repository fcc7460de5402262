"""The process that runs detection jobs, in both modes: a child spawned by `inference.supervisor`
(entry point `inference.child.main`), which calls `child_serve`: `worker_start()`, then
`job_process` for each job id its parent sends down the pipe.

- Team mode (`REDIS_URL`): `manage.py runworker inference` (`inference/management/commands/
  runworker.py`) starts a supervisor whose child starts at once, then `consumers.InferenceWorker` hands every
  `job.run` message to `job_handle`, which runs it in that child and waits for it.
- Embedded default: the web process's supervisor spawns the child on the first job.

Progress goes out the way every other event does: the services write and broadcast after
commit. In the team-mode child that is Redis; in the embedded child the channel layer is
`ParentLayer`, which passes each send up the pipe to the web process; its supervisor sends it
on the real layer (in memory or Redis), in order."""

import logging
import os
import threading

from django.db import close_old_connections

from inference.periodic import periodic_start
from inference.services.job_control import job_execute
from inference.status import worker_status_publish, worker_status_report_to

logger = logging.getLogger(__name__)


def worker_start() -> None:
    """Start-up of a job-running process: start its periodic work and publish its detector."""
    periodic_start()  # an idle worker still reaps what a dead one left running
    try:
        worker_status_publish()
    except Exception:  # the cache may be down; the periodic work publishes again
        logger.exception("Publishing the worker status failed")


def job_id_valid(job_id) -> bool:
    if not isinstance(job_id, int) or isinstance(job_id, bool):
        logger.warning("Ignoring a malformed job id: %r", job_id)
        return False
    return True


# How this process's `inference` consumer runs a job: in this process (the default, e.g. the
# consumer driven in-process by a test) or, under `runworker inference`, in its supervised child
# (the command registers its supervisor's `run`).
_job_handler = None


def job_handler_set(handler) -> None:
    global _job_handler
    _job_handler = handler


def job_handle(job_id) -> None:
    """The `inference` consumer's `job.run`: one job at a time, returning once it is over."""
    if job_id_valid(job_id):
        (_job_handler or job_process)(job_id)


def job_process(job_id) -> None:
    """Run one job (detection or propagation) and log how it ended; never raises (failures are recorded on the job)."""
    if not job_id_valid(job_id):
        return
    close_old_connections()
    try:
        job = job_execute(job_id=job_id)
        worker_status_publish(if_changed=True)  # the device is known once the model is loaded
        logger.info("Job %s: %s", job_id, "not runnable (gone or taken)" if job is None else job.status)
    except Exception:  # e.g. the database went away mid-job; the reaper re-queues it
        logger.exception("Job %s crashed the worker loop", job_id)
    finally:
        close_old_connections()


class _Parent:
    """This child's end of the pipe to the web process; sends from any thread, one at a time."""

    def __init__(self):
        self.conn = None
        self._lock = threading.Lock()

    def send(self, message: tuple) -> None:
        with self._lock:
            self.conn.send(message)


_parent = _Parent()


class ParentLayer:
    """The embedded child's channel layer: every send goes up the pipe, the web process sends it on.

    So a service broadcasts after commit exactly as it does in a web or worker process, and
    `job_dispatch` from this process (the reaper re-sending a job) reaches the supervisor.
    """

    extensions = ["groups"]

    def __init__(self, **config):
        pass

    async def send(self, channel: str, message: dict) -> None:
        _parent.send(("send", channel, message))

    async def group_send(self, group: str, message: dict) -> None:
        _parent.send(("group_send", group, message))


def child_serve(conn, *, relay: bool = True) -> None:
    """The spawned child's loop: run each job id the parent sends; return when the parent is gone.

    `relay` (embedded): the web process answers the status endpoint with this process's detector
    (loaded? why not?), so its status goes up the pipe; in team mode it goes to Redis as before."""
    _parent.conn = conn
    _parent.send(("ready", os.getpid()))  # first: nothing the start-up sends may come before it
    if relay:
        worker_status_report_to(lambda status: _parent.send(("status", status)))
    worker_start()
    while True:
        try:
            command, job_id = conn.recv()
        except (EOFError, OSError):  # the web process closed the pipe or died: nothing left to serve
            return
        if command == "run":
            job_process(job_id)
            _parent.send(("idle", job_id))
