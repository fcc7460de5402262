"""Where evaluations started from the API are driven: the inference worker's periodic work.

The `evaluations` chore (`inference.periodic`, every PERIODIC_EVALUATIONS_SECONDS) of each
job-running process — a `runworker inference` child, or the embedded child the web process
starts with its first connection —
takes every queued evaluation and every running one whose driver stopped beating for
EVALUATION_STALE_SECONDS (its worker was killed), and drives each in a thread of that process
(`evaluation_run`: it only submits jobs and reads their rows). Several workers may look at once:
the claim is a row lock, so one drives and the others' threads return at once. A web restart
therefore loses nothing, and a worker killed mid-evaluation is replaced by the next one that
looks, without re-running the frames already done.
"""

import logging
import threading
from datetime import timedelta

from django.db import close_old_connections, connection
from django.db.models import Q
from django.utils import timezone

from feedback.evaluation.driver import evaluation_run
from feedback.evaluation.models import Evaluation, EvaluationStatus
from feedback.evaluation.services import stale_seconds
from inference.periodic import Chore, chore_register

logger = logging.getLogger(__name__)
_driving: dict[int, threading.Thread] = {}  # this process's drivers, by evaluation id
_driving_lock = threading.Lock()


def _drive(evaluation_id: int) -> None:
    close_old_connections()
    try:
        evaluation_run(evaluation_id=evaluation_id)
    except Exception:  # evaluation_run records failures itself; this only keeps the log
        logger.exception("Evaluation %s crashed", evaluation_id)
    finally:
        connection.close()


def evaluations_to_drive() -> list[int]:
    """Queued evaluations and running ones whose driver stopped beating, oldest first."""
    stale = timezone.now() - timedelta(seconds=stale_seconds())
    orphaned = Q(status=EvaluationStatus.RUNNING) & (Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True))
    waiting = Evaluation.objects.filter(Q(status=EvaluationStatus.QUEUED) | orphaned)
    return list(waiting.order_by("created_at", "id").values_list("pk", flat=True))


def evaluations_drive() -> dict:
    """The periodic chore: start a driver thread for each evaluation waiting for one (see module docstring)."""
    started = []
    with _driving_lock:
        for pk in evaluations_to_drive():
            if pk in _driving and _driving[pk].is_alive():
                continue
            thread = threading.Thread(target=_drive, args=(pk,), name=f"evaluation-{pk}", daemon=True)
            _driving[pk] = thread
            thread.start()
            started.append(pk)
        for pk in [pk for pk, thread in _driving.items() if not thread.is_alive()]:
            del _driving[pk]
    if started:
        logger.info("Driving evaluation(s) %s", started)
    return {"started": started}


def evaluations_chore_register() -> None:
    chore_register(Chore("evaluations", evaluations_drive, "PERIODIC_EVALUATIONS_SECONDS"))
