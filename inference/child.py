"""Entry point of the worker process that `inference.supervisor` spawns to run detectors.

A spawned interpreter imports this module before Django is set up (to find `main`), so it
imports nothing of the project at module level; `main` sets Django up from the environment the
parent passed on, then serves jobs (`inference.worker.child_serve`). The parent is the web
process (embedded default) or a `runworker inference` process (team mode).
"""

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Be killed when the parent dies (Linux), so a parent killed mid-job (SIGKILL, OOM) leaves no
    orphan running its job on: the job's heartbeat stops and the reaper retries it elsewhere."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pipe's EOF still ends an idle child
        return
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)


def main(conn, parent_pid: int, relay: bool = True) -> None:
    die_with_parent(parent_pid)
    import django
    from django.conf import settings

    django.setup()
    if relay:
        # Embedded: from this process's side the web process is its channel layer, and what it
        # sends (broadcasts, re-dispatched jobs) goes up the pipe. Team mode keeps Redis.
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "inference.worker.ParentLayer"}}
    settings.INFERENCE_EXECUTION = "worker"  # this process is a worker

    from inference.worker import child_serve  # needs the app registry set up above

    child_serve(conn, relay=relay)
