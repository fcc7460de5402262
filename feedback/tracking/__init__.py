"""MLflow tracking through an outbox: nothing here may block or fail a request.

Callers enqueue (`detection_job_track`, `dataset_export_track`, sessions closing); the
worker's periodic `tracking_tick()` and `manage.py flush_tracking` send to MLflow.
"""

import logging

from feedback.tracking.outbox import outbox_enqueue, outbox_flush
from feedback.tracking.runs import dataset_export_track, detection_job_track

logger = logging.getLogger(__name__)

__all__ = ["dataset_export_track", "detection_job_track", "outbox_enqueue", "outbox_flush", "tracking_tick"]


def tracking_tick(*, limit: int = 200) -> dict:
    """Close idle annotation sessions (queueing their runs) and flush the outbox.

    For the inference worker to call every minute or so; never raises.
    """
    counts = {}
    try:
        from feedback.tracking.sessions import sessions_close_idle

        counts["sessions_closed"] = len(sessions_close_idle())
    except ImportError:
        pass
    except Exception:
        logger.exception("Closing idle annotation sessions failed")
    try:
        counts.update(outbox_flush(limit=limit))
    except Exception:
        logger.exception("Flushing the tracking outbox failed")
    return counts
