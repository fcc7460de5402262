"""The tracking outbox: MLflow writes are rows first, sent later by `outbox_flush`.

A row is written in the same transaction as the work it describes, so the run exists in
MLflow if and only if the work was committed. Sending happens outside any request: in the
worker's periodic `tracking_tick`, and in `manage.py flush_tracking`.
"""

import logging
import shutil

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from tracking.client import Tracker
from tracking.models import TrackingOutbox

logger = logging.getLogger(__name__)

# A row that keeps failing for its own reasons (not a dead server) stops being retried
# after this many attempts; it stays in the table, visible in the admin with its error.
MAX_ATTEMPTS = 20


def outbox_enqueue(*, kind: str, key: str, payload: dict) -> TrackingOutbox:
    """Queue one MLflow run; the same `key` twice is one row (and so one run)."""
    row, _ = TrackingOutbox.objects.get_or_create(key=key[:100], defaults={"kind": kind, "payload": payload})
    return row


def outbox_pending():
    return TrackingOutbox.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)


def outbox_flush(*, limit: int | None = None, keys=None, tracker=None, progress=None) -> dict:
    """Send pending rows to MLflow, oldest first; return counts {sent, failed, pending, error}.

    Each row is locked while it is sent (two flushers never send the same row), and the run
    carries the row's key as a tag, so a row sent but not marked is found, not sent again.
    """
    pending = outbox_pending()
    if keys is not None:
        pending = pending.filter(key__in=list(keys))
    ids = list(pending.order_by("id").values_list("id", flat=True)[:limit])
    counts = {"sent": 0, "failed": 0, "pending": 0, "error": ""}
    if ids:
        try:
            if tracker is None:
                tracker = Tracker()
            tracker.ping()
        except Exception as exc:  # the store is down: leave every row as it is
            counts["error"] = f"MLflow unreachable: {exc}"[:500]
            ids = []
    for pk in ids:
        outcome = _send_one(pk, tracker)
        if outcome == "sent":
            counts["sent"] += 1
        elif outcome is not None:
            counts["failed"] += 1
            counts["error"] = outcome
            try:
                tracker.ping()
            except Exception as exc:  # it went down mid-flush: the other rows wait, their attempts untouched
                counts["error"] = f"MLflow unreachable: {exc}"[:500]
                break
        if progress is not None:
            progress(1)
    counts["pending"] = outbox_pending().count()
    return counts


def _send_one(pk: int, tracker) -> str | None:
    with transaction.atomic():
        row = TrackingOutbox.objects.select_for_update(skip_locked=True).filter(pk=pk, sent_at__isnull=True).first()
        if row is None:  # sent meanwhile, or being sent by another flusher
            return None
        try:
            run_id = tracker.run_send(key=row.key, payload=row.payload)
        except Exception as exc:
            logger.warning("Tracking row %s (%s) not sent: %s", row.pk, row.key, exc)
            row.attempts += 1
            row.last_error = str(exc)[:2000]
            row.save(update_fields=["attempts", "last_error"])
            return f"{row.key}: {exc}"[:500]
        row.run_id, row.sent_at = run_id, timezone.now()
        row.attempts += 1
        row.last_error = ""
        row.save(update_fields=["run_id", "sent_at", "attempts", "last_error"])
        _target_update(row.payload.get("target"), run_id)
    staging = row.payload.get("staging_dir")
    if staging:
        shutil.rmtree(staging, ignore_errors=True)
    return "sent"


def _target_update(target: dict | None, run_id: str) -> None:
    """Write the run id back on the row the run describes (job, session, dataset version)."""
    if not target:
        return
    model = apps.get_model(target["model"])
    model.objects.filter(pk=target["pk"]).update(mlflow_run_id=run_id)
