"""The parent's end of the one spawned process that runs detectors: start it, stop it, say why it died.

`inference.supervisor` owns one `Child` at a time and replaces it whenever it dies; the child runs
`inference.child.main`. Spawned, never forked: a fork would copy the server's threads, sockets and
event loop.
"""

import logging
import multiprocessing
import os
import signal
import time

from inference.child import main as child_main

logger = logging.getLogger(__name__)
START_TIMEOUT = 120  # seconds for a fresh child to set Django up and report ready


def exit_reason(exitcode: int | None) -> str:
    """What a dead worker's exit code says, for the job's error."""
    if exitcode is not None and exitcode < 0:
        number = -exitcode
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "unknown signal"
        if number == signal.SIGKILL:
            return f"The detector process was killed (signal {number}, {name}), most likely for running out of memory."
        return f"The detector process crashed on this frame (signal {number}, {name})."
    return f"The detector process exited unexpectedly (exit code {exitcode})."


class Child:
    """One spawned worker process and the parent's end of its pipe."""

    def __init__(self, *, relay: bool = True):
        self.conn, child_conn = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(
            target=child_main, args=(child_conn, os.getpid(), relay), name="inference-worker", daemon=True
        )
        started = time.perf_counter()
        self.process.start()
        child_conn.close()  # only the child holds its end: its death shows as EOF here
        self.pid = None
        if self.conn.poll(START_TIMEOUT):
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                message = None
            if message and message[0] == "ready":
                self.pid = message[1]
        self.start_seconds = time.perf_counter() - started
        if self.pid is None:
            self.stop()
            raise RuntimeError(f"The detector process could not start: {exit_reason(self.process.exitcode)}")
        logger.info("Started the detector process %s in %.2f s", self.pid, self.start_seconds)

    def stop(self) -> int | None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(10)
        self.conn.close()
        return self.process.exitcode
