"""Where an evaluation started from the API is driven: a daemon thread of the web process.

The thread only submits jobs and reads their rows (detectors run in the inference workers),
so it costs the web process a few queries per frame. If the process stops, the evaluation's
heartbeat goes stale and `POST /api/evaluations/{id}/resume/` (or `evaluate_model --resume`)
continues it without re-running its finished frames.
"""

import logging
import threading

from django.db import close_old_connections, connection, transaction

from feedback.evaluation.driver import evaluation_run

logger = logging.getLogger(__name__)


def _drive(evaluation_id: int) -> None:
    close_old_connections()
    try:
        evaluation_run(evaluation_id=evaluation_id)
    except Exception:  # evaluation_run records failures itself; this only keeps the log
        logger.exception("Evaluation %s crashed", evaluation_id)
    finally:
        connection.close()


def evaluation_start_on_commit(evaluation_id: int) -> None:
    """Start driving the evaluation once the transaction that queued it has committed."""

    def start():
        threading.Thread(target=_drive, args=(evaluation_id,), name=f"evaluation-{evaluation_id}", daemon=True).start()

    transaction.on_commit(start)
