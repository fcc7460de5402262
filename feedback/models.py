"""Human judgements of frames and annotation sessions."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Rating(models.IntegerChoices):
    POSITIVE = 1, "Positive"
    NEUTRAL = 0, "Neutral"
    NEGATIVE = -1, "Negative"


class FrameFeedback(models.Model):
    """A user's rating of a frame; clearing the rating deletes the row."""

    image = models.ForeignKey("annotations.Image", on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="frame_feedback")
    rating = models.SmallIntegerField(choices=Rating.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["image", "user"], name="feedback_one_per_user_per_image"),
            models.CheckConstraint(condition=Q(rating__in=[-1, 0, 1]), name="feedback_rating_valid"),
        ]

    def __str__(self):
        return f"{self.user} rated {self.image_id}: {self.rating:+d}"


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


# Moved to the tracking app (same table); named here for the branches that still import it from feedback.
from tracking.models import TrackingOutbox  # noqa: E402, F401

# Evaluation models live with their services in `feedback.evaluation`; imported here so Django finds them.
from feedback.evaluation.models import Evaluation, EvaluationFrame  # noqa: E402, F401
