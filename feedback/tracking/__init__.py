"""MLflow tracking through an outbox: nothing here may block or fail a request.

The feedback app's runs (annotation sessions, audits, evaluations); the outbox and the MLflow
client are the `tracking` app's. The worker's periodic work and `manage.py flush_tracking` send them.
"""

import logging

from feedback.tracking.runs import session_track
from feedback.tracking.sessions import sessions_close_for_user, sessions_close_idle
from tracking.outbox import outbox_enqueue, outbox_flush

logger = logging.getLogger(__name__)

__all__ = [
    "outbox_enqueue",
    "outbox_flush",
    "session_track",
    "sessions_close_for_user",
    "sessions_close_idle",
    "tracking_tick",
]


def tracking_tick(*, limit: int = 200) -> dict:
    """Close idle annotation sessions (queueing their runs) and flush the outbox.

    For the inference worker to call every minute or so; never raises.
    """
    counts = {}
    try:
        counts["sessions_closed"] = len(sessions_close_idle())
    except Exception:
        logger.exception("Closing idle annotation sessions failed")
    try:
        counts.update(outbox_flush(limit=limit))
    except Exception:
        logger.exception("Flushing the tracking outbox failed")
    return counts
