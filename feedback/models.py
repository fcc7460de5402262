"""Annotation sessions (frame ratings live in annotations, the outbox in tracking)."""

from django.conf import settings
from django.db import models


class AnnotationSession(models.Model):
    """A user's continuous work on a project; closed after an idle timeout or at logout."""

    project = models.ForeignKey("annotations.Project", on_delete=models.CASCADE, related_name="sessions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="annotation_sessions")
    started_at = models.DateTimeField()
    last_activity_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    mlflow_run_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["user", "project", "ended_at"], name="session_open_idx")]

    def __str__(self):
        return f"{self.user} on {self.project} from {self.started_at:%Y-%m-%d %H:%M}"


# Evaluation models live with their services in `feedback.evaluation`; Django registers an app's
# models when it imports its `models` module, so that module is imported here (not a re-export:
# import them from feedback.evaluation.models).
import feedback.evaluation.models  # noqa: E402, F401
