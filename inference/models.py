"""Detection jobs and the predictions they produce."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class JobPurpose(models.TextChoices):
    DETECT = "detect", "Detect"  # a person asked: its boxes go to the frame's viewers
    EVALUATE = "evaluate", "Evaluate"  # an evaluation asked: its boxes are the evaluation's, nobody sees them live


class JobKind(models.TextChoices):
    DETECT = "detect", "Detect"  # run the detector on `image`
    PROPAGATE = "propagate", "Propagate"  # follow `track` from `image` over the next `frames` frames


class DetectionJob(models.Model):
    image = models.ForeignKey("annotations.Image", on_delete=models.CASCADE, related_name="detection_jobs")
    prompts = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    kind = models.CharField(max_length=10, choices=JobKind.choices, default=JobKind.DETECT)
    track = models.ForeignKey(
        "annotations.Track", null=True, blank=True, on_delete=models.SET_NULL, related_name="propagation_jobs"
    )
    frames = models.PositiveIntegerField(default=0, help_text="Propagation: how many frames after `image` to follow.")
    purpose = models.CharField(max_length=8, choices=JobPurpose.choices, default=JobPurpose.DETECT)
    choice = models.JSONField(default=dict, blank=True,
                              help_text="The detector the job asks for ({backend, model, revision}); {}: the worker's.")
    backend = models.CharField(max_length=32, blank=True)
    model = models.CharField(max_length=200, blank=True)
    revision = models.CharField(max_length=100, blank=True)
    device = models.CharField(max_length=16, blank=True)
    error = models.TextField(blank=True)
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds per prompt, encode and total.")
    attempts = models.PositiveSmallIntegerField(default=0)
    progress = models.JSONField(
        default=dict, blank=True,
        help_text="Propagation: what it wrote so far ({frames, events, last}), written with each frame so a run "
                  "whose worker crashed or hung still ends as one undo step.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    mlflow_run_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One job per image at a time, held by the database.
            models.UniqueConstraint(
                fields=["image"],
                condition=Q(status__in=["queued", "running"]),
                name="detectionjob_one_active_per_image",
            ),
            models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="detectionjob_status_valid"),
            models.CheckConstraint(condition=Q(purpose__in=JobPurpose.values), name="detectionjob_purpose_valid"),
            models.CheckConstraint(condition=Q(kind__in=JobKind.values), name="detectionjob_kind_valid"),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat_idx")]

    def __str__(self):
        return f"job {self.pk} on image {self.image_id} ({self.status})"


class PredictionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    CORRECTED = "corrected", "Corrected"
    REJECTED = "rejected", "Rejected"
    # Still undecided when a newer detection run on the frame answered its prompt: no longer offered
    # for review, kept as its run's answer (inference/services/superseding.py). Nobody decided it.
    SUPERSEDED = "superseded", "Superseded"


# What a person decided (the audit's decisions); pending and superseded boxes are nobody's decision.
DECIDED_PREDICTION_STATUSES = (PredictionStatus.ACCEPTED, PredictionStatus.CORRECTED, PredictionStatus.REJECTED)


class Prediction(models.Model):
    """One AI box as the model proposed it; its geometry is never edited (corrections live in the Box)."""

    job = models.ForeignKey(DetectionJob, on_delete=models.CASCADE, related_name="predictions")
    image = models.ForeignKey("annotations.Image", on_delete=models.CASCADE, related_name="predictions")
    label = models.ForeignKey(
        "annotations.Label", null=True, blank=True, on_delete=models.SET_NULL, related_name="predictions"
    )
    prompt = models.CharField(max_length=32)
    rank = models.PositiveIntegerField(default=0, help_text="Position in the model's answer for this prompt.")
    x_min = models.FloatField()
    y_min = models.FloatField()
    x_max = models.FloatField()
    y_max = models.FloatField()
    score = models.FloatField(null=True, blank=True)
    # The track this box continues (IoU + Hungarian matching with the tracks' boxes on the frame
    # before, inference/services/track_matching.py); accepting the prediction puts its box in it.
    track = models.ForeignKey(
        "annotations.Track", null=True, blank=True, on_delete=models.SET_NULL, related_name="suggested_predictions"
    )
    status = models.CharField(max_length=10, choices=PredictionStatus.choices, default=PredictionStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job_id", "id"]
        constraints = [
            # A retried job rewrites a prompt's predictions, never duplicates them.
            models.UniqueConstraint(fields=["job", "prompt", "rank"], name="prediction_unique_rank_per_prompt"),
            models.CheckConstraint(condition=Q(x_min__lt=F("x_max")), name="prediction_x_min_lt_x_max"),
            models.CheckConstraint(condition=Q(y_min__lt=F("y_max")), name="prediction_y_min_lt_y_max"),
            models.CheckConstraint(condition=Q(status__in=PredictionStatus.values), name="prediction_status_valid"),
        ]
        indexes = [models.Index(fields=["image", "status"], name="prediction_image_status_idx")]

    def __str__(self):
        return f"{self.prompt} {self.score} ({self.status})"

    @property
    def coords(self) -> dict:
        return {"x_min": self.x_min, "y_min": self.y_min, "x_max": self.x_max, "y_max": self.y_max}


class DetectorConfig(models.Model):
    """A project's chosen detector configuration, one row per change (the newest is active): its
    history. Set by promoting an evaluation; label prompts themselves live on the labels."""

    project = models.ForeignKey("annotations.Project", on_delete=models.CASCADE, related_name="detector_configs")
    backend = models.CharField(max_length=32)
    model = models.CharField(max_length=200, blank=True)
    revision = models.CharField(max_length=100, blank=True)
    prompts = models.JSONField(default=dict, help_text="{label name: prompt} when it was set.")
    source = models.CharField(max_length=200, blank=True, help_text="Where it came from, e.g. `evaluation 12`.")
    scores = models.JSONField(default=dict, blank=True)
    # Confidence thresholds in use: AI boxes of a label scored below its threshold are stored but not
    # shown for review (learnt from the team's decisions, feedback/evaluation/thresholds.py).
    thresholds_enabled = models.BooleanField(default=False)
    thresholds = models.JSONField(default=dict, blank=True, help_text="{label name: score} when it was set.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"], name="detectorconfig_project_idx")]

    def __str__(self):
        return f"{self.project_id}: {self.backend} {self.revision} ({self.source})"
