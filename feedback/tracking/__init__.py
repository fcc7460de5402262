"""MLflow tracking through an outbox: nothing here may block or fail a request.

Callers enqueue (`detection_job_track`, `dataset_export_track`, sessions closing); the
worker's periodic `tracking_tick()` and `manage.py flush_tracking` send to MLflow.
"""

import logging

from feedback.tracking.outbox import outbox_enqueue, outbox_flush
from feedback.tracking.runs import dataset_export_track, detection_job_track, session_track
from feedback.tracking.sessions import sessions_close_for_user, sessions_close_idle

logger = logging.getLogger(__name__)

__all__ = [
    "dataset_export_track",
    "detection_job_track",
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
