"""An evaluation and its frames: one detection job per human-verified frame, scored together."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class EvaluationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_EVALUATION_STATUSES = (EvaluationStatus.QUEUED, EvaluationStatus.RUNNING)


class Evaluation(models.Model):
    """A detector configuration (backend, model, revision, prompt per label) scored on a dataset version."""

    project = models.ForeignKey("annotations.Project", on_delete=models.CASCADE, related_name="evaluations")
    status = models.CharField(max_length=10, choices=EvaluationStatus.choices, default=EvaluationStatus.QUEUED)
    backend = models.CharField(max_length=32, help_text="As asked: auto, moondream, station, opencv.")
    model = models.CharField(max_length=200, blank=True)
    revision = models.CharField(max_length=100, blank=True)
    prompts = models.JSONField(default=dict, help_text="{label name: prompt}.")
    prompt_candidates = models.JSONField(default=dict, blank=True,
                                         help_text="{label name: [prompt, ...]} to compare (prompt search).")
    only = models.CharField(max_length=16, default="approved")
    limit = models.PositiveIntegerField(null=True, blank=True)
    dataset_version = models.ForeignKey(
        "annotations.DatasetVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="evaluations"
    )
    ground_truth = models.JSONField(null=True, blank=True, help_text="COCO dict of the evaluated frames.")
    detector = models.JSONField(default=dict, blank=True, help_text="What the jobs actually ran.")
    frames = models.PositiveIntegerField(default=0)
    frames_done = models.PositiveIntegerField(default=0)
    frames_failed = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    mlflow_run_id = models.CharField(max_length=64, blank=True)
    registered_model = models.CharField(max_length=250, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    driver = models.CharField(max_length=100, blank=True,
                              help_text="The process driving it (host:pid); another takes over once it stops beating.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=EvaluationStatus.values), name="evaluation_status_valid"),
            models.CheckConstraint(condition=Q(frames_done__lte=models.F("frames")), name="evaluation_done_lte_frames"),
        ]

    def __str__(self):
        return f"evaluation {self.pk} of {self.project_id} ({self.status})"


class FrameStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUBMITTED = "submitted", "Submitted"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class EvaluationFrame(models.Model):
    """One frame of an evaluation; `done` frames are never run again when an evaluation resumes."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="frame_rows")
    image = models.ForeignKey("annotations.Image", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(help_text="Order of submission (frame order).")
    status = models.CharField(max_length=10, choices=FrameStatus.choices, default=FrameStatus.PENDING)
    job = models.ForeignKey(
        "inference.DetectionJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detections = models.JSONField(default=list, blank=True, help_text="[[prompt, x, y, w, h, score], ...]")
    seconds = models.FloatField(null=True, blank=True, help_text="The detector's time on the frame.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["evaluation_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "image"], name="evaluationframe_unique_image"),
            models.CheckConstraint(condition=Q(status__in=FrameStatus.values), name="evaluationframe_status_valid"),
        ]
        indexes = [models.Index(fields=["evaluation", "status"], name="evaluationframe_status_idx")]

    def __str__(self):
        return f"frame {self.image_id} of evaluation {self.evaluation_id} ({self.status})"
