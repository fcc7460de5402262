"""MLflow writes waiting to be sent."""

from django.db import models


class TrackingOutbox(models.Model):
    """An MLflow write that could not be sent yet; `flush_tracking` sends it exactly once."""

    kind = models.CharField(max_length=32)
    key = models.CharField(max_length=100, unique=True, help_text="Idempotency key: one run per key.")
    payload = models.JSONField(default=dict)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    run_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "feedback_trackingoutbox"  # created by the feedback app; moved without moving data
        ordering = ["id"]
        indexes = [models.Index(fields=["sent_at", "id"], name="outbox_pending_idx")]

    def __str__(self):
        return f"{self.kind} {self.key} ({'sent' if self.sent_at else 'pending'})"
