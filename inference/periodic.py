"""Periodic work of the process that runs detection jobs — never a side effect of a request.

`run_due_work()` runs whichever chore is due, each on its own interval (settings, seconds):

- `reap` (`PERIODIC_REAP_SECONDS`, 5): re-queue or fail jobs whose worker stopped beating or
  that run past `INFERENCE_JOB_TIMEOUT_SECONDS` (`jobs_reap_stale`).
- `sessions` (`PERIODIC_SESSIONS_SECONDS`, 60; registered by the feedback app): close idle
  annotation sessions; their MLflow runs go to the outbox.
- `tracking` (`PERIODIC_TRACKING_SECONDS`, 2): send the tracking outbox to MLflow. While MLflow
  is unreachable the interval doubles up to `PERIODIC_TRACKING_MAX_SECONDS` (15), so a dead
  server costs one failed ping every 15 s, and the rows wait in the outbox.
- `status` (60, worker mode only): publish this worker's detector status for the web processes.

`PeriodicRunner` is a daemon thread calling `run_due_work()` every `PERIODIC_WORK_SECONDS` (2;
0 turns `periodic_start()` off). Each `runworker inference` process runs one, and so does the
process that runs embedded jobs. Several runners at once are safe: the reaper and the outbox
lock the rows they touch (`skip_locked`), sessions take an advisory lock, and an MLflow run is
found by its outbox key before one is created.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections

from inference.execution import execution_mode
from inference.services import jobs_reap_stale
from inference.status import worker_status_publish
from tracking.outbox import outbox_flush

logger = logging.getLogger(__name__)

TRACKING_BATCH = 100  # runs sent per round, so one backlog never holds the reaper up for long


def interval(name: str) -> float:
    return float(getattr(settings, name))


def _reap() -> dict:
    outcome = jobs_reap_stale()
    if any(outcome.values()):
        logger.warning("Reaped stale detection jobs: %s", outcome)
    return outcome


def _tracking() -> dict:
    counts = outbox_flush(limit=TRACKING_BATCH)
    if counts["sent"]:
        logger.info("Sent %s run(s) to MLflow; %s pending", counts["sent"], counts["pending"])
    if counts["error"]:
        logger.warning("Tracking outbox: %s (%s pending)", counts["error"], counts["pending"])
    return counts


def _status() -> dict:
    return worker_status_publish() if execution_mode() == "worker" else {}


def _mlflow_down(result: dict) -> bool:
    return str(result.get("error", "")).startswith("MLflow unreachable")


@dataclass
class Chore:
    name: str
    run: Callable[[], dict]
    setting: str
    # A result that says "try again later": the interval doubles while it lasts.
    backs_off: Callable[[dict], bool] = lambda result: False  # noqa: E731  (most chores never back off)
    max_setting: str | None = None


# Order matters within a round: apps above register theirs before `tracking` (chore_register), so
# e.g. annotation sessions closed now have their runs sent in the same round.
CHORES: list[Chore] = [
    Chore("reap", _reap, "PERIODIC_REAP_SECONDS"),
    Chore("tracking", _tracking, "PERIODIC_TRACKING_SECONDS", _mlflow_down, "PERIODIC_TRACKING_MAX_SECONDS"),
    Chore("status", _status, "PERIODIC_STATUS_SECONDS"),
]


def chore_register(chore: Chore, *, before: str = "tracking") -> None:
    """Add an app's periodic chore (from its AppConfig.ready()), run just before `before` each round;
    registering a name again replaces it."""
    CHORES[:] = [c for c in CHORES if c.name != chore.name]
    index = next((i for i, c in enumerate(CHORES) if c.name == before), len(CHORES))
    CHORES.insert(index, chore)


@dataclass
class Schedule:
    """When each chore is next due (monotonic seconds) and how many times in a row it backed off."""

    due: dict[str, float] = field(default_factory=dict)
    misses: dict[str, int] = field(default_factory=dict)

    def is_due(self, name: str, now: float) -> bool:
        return now >= self.due.get(name, 0.0)

    def done(self, chore: Chore, now: float, *, back_off: bool) -> None:
        self.misses[chore.name] = self.misses.get(chore.name, 0) + 1 if back_off else 0
        wait = interval(chore.setting) * 2 ** self.misses[chore.name]
        if chore.max_setting:
            wait = min(wait, interval(chore.max_setting))
        self.due[chore.name] = now + wait


_schedule = Schedule()


def run_due_work(*, schedule: Schedule | None = None, now: float | None = None, chores=CHORES) -> dict:
    """Run every chore that is due; return `{chore: its result}` for those that ran.

    Never raises: a chore that fails is logged, its result is `{"error": ...}`, and it is
    tried again after its interval (the database or MLflow may be restarting).
    """
    schedule = _schedule if schedule is None else schedule
    now = time.monotonic() if now is None else now
    results = {}
    for chore in chores:
        if not schedule.is_due(chore.name, now):
            continue
        try:
            result = chore.run() or {}
        except Exception as exc:
            logger.exception("Periodic work %r failed", chore.name)
            result = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        schedule.done(chore, now, back_off=chore.backs_off(result))
        results[chore.name] = result
    return results


class PeriodicRunner:
    """A daemon thread that calls `run_due_work()` every `tick` seconds until `stop()`."""

    def __init__(self, *, tick: float | None = None, schedule: Schedule | None = None, warm_up: bool = False):
        self.tick = interval("PERIODIC_WORK_SECONDS") if tick is None else tick
        self.schedule = schedule or Schedule()
        self.warm_up = warm_up
        self.rounds = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "PeriodicRunner":
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="periodic-work", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        # The first round waits one tick, so the process finishes starting up first.
        while not self._stop.wait(self.tick):
            close_old_connections()  # this thread's connection: dropped if broken or too old
            try:
                run_due_work(schedule=self.schedule)
            except Exception:  # run_due_work promises not to raise; the thread must outlive it anyway
                logger.exception("Periodic work failed")
            finally:
                close_old_connections()
            self.rounds += 1
            if self.warm_up:
                self.warm_up = False
                _tracking_warm_up()


def _tracking_warm_up() -> None:
    """Import the MLflow client after the first round instead of at the first run to send.

    The import takes seconds (more on a busy machine); done while a worker's first job still
    runs, that job's run reaches MLflow one tick after the job ends rather than seconds later.
    """
    try:
        import mlflow.tracking  # noqa: F401  (heavy and optional: only in the runner's thread)
    except Exception:  # the flush reports it properly when it needs the client
        logger.exception("Importing the MLflow client failed")


_runner: PeriodicRunner | None = None
_runner_lock = threading.Lock()


def periodic_start() -> PeriodicRunner | None:
    """Start this process's runner once; None when `PERIODIC_WORK_SECONDS` is 0 (off)."""
    global _runner
    if interval("PERIODIC_WORK_SECONDS") <= 0:
        return None
    with _runner_lock:
        if _runner is None:
            _runner = PeriodicRunner(warm_up=True)
        return _runner.start()
