"""Boxes on a frame and the tracks that follow one object across a sequence."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from annotations.models.images import Image, Sequence
from annotations.models.projects import Label, Project


class BoxSource(models.TextChoices):
    HUMAN = "human", "Human"
    AI = "ai", "AI"
    INTERPOLATED = "interpolated", "Interpolated"
    TRACKED = "tracked", "Tracked"


class Track(models.Model):
    """One object followed across the frames of a sequence: at most one live box per frame."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tracks")
    sequence = models.ForeignKey(Sequence, null=True, blank=True, on_delete=models.SET_NULL, related_name="tracks")
    label = models.ForeignKey(Label, on_delete=models.PROTECT, related_name="tracks")
    # Shown on the canvas ("#3"); per project, so people can name an object out loud.
    number = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="track_number_unique_per_project"),
            models.CheckConstraint(condition=Q(number__gte=1), name="track_number_positive"),
        ]

    def __str__(self):
        return f"{self.label} #{self.number}"


class Box(models.Model):
    """A bounding box in pixel coordinates of the original image."""

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="boxes")
    label = models.ForeignKey(Label, on_delete=models.PROTECT, related_name="boxes")
    x_min = models.FloatField()
    y_min = models.FloatField()
    x_max = models.FloatField()
    y_max = models.FloatField()
    source = models.CharField(max_length=16, choices=BoxSource.choices, default=BoxSource.HUMAN)
    track = models.ForeignKey(Track, null=True, blank=True, on_delete=models.SET_NULL, related_name="boxes")
    # True for a box a person drew, adjusted or confirmed; interpolated and tracked boxes are not
    # keyframes until someone edits them (then interpolation treats them as fixed points).
    keyframe = models.BooleanField(default=True)
    prediction = models.ForeignKey(
        "inference.Prediction", null=True, blank=True, on_delete=models.SET_NULL, related_name="boxes"
    )
    version = models.PositiveIntegerField(default=1)
    deleted = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The client's Idempotency-Key of the create request: a retried create (its 201 was lost)
    # finds this box instead of making a second one.
    client_key = models.CharField(max_length=64, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["image_id", "id"]
        verbose_name_plural = "boxes"
        constraints = [
            models.UniqueConstraint(
                fields=["image", "client_key"], condition=Q(client_key__isnull=False), name="box_client_key_unique"
            ),
            models.CheckConstraint(condition=Q(x_min__lt=F("x_max")), name="box_x_min_lt_x_max"),
            models.CheckConstraint(condition=Q(y_min__lt=F("y_max")), name="box_y_min_lt_y_max"),
            models.CheckConstraint(condition=Q(x_min__gte=0) & Q(y_min__gte=0), name="box_min_not_negative"),
            models.CheckConstraint(condition=Q(version__gte=1), name="box_version_positive"),
            models.CheckConstraint(condition=Q(source__in=BoxSource.values), name="box_source_valid"),
            models.UniqueConstraint(
                fields=["track", "image"],
                condition=Q(track__isnull=False, deleted=False),
                name="box_one_live_box_per_track_per_frame",
            ),
        ]
        indexes = [models.Index(fields=["image", "deleted"], name="box_image_live_idx")]

    def __str__(self):
        return f"{self.label} [{self.x_min:.0f},{self.y_min:.0f},{self.x_max:.0f},{self.y_max:.0f}]"

    def clean(self):
        """Invariants the database cannot hold across tables: inside the image, label of its project."""
        errors = {}
        if self.label_id and self.image_id and self.label.project_id != self.image.project_id:
            errors["label"] = "The label belongs to another project."
        if self.image_id:
            if self.x_max > self.image.width:
                errors["x_max"] = f"x_max must be at most the image width ({self.image.width})."
            if self.y_max > self.image.height:
                errors["y_max"] = f"y_max must be at most the image height ({self.image.height})."
        if self.x_min < 0:
            errors["x_min"] = "x_min must not be negative."
        if self.y_min < 0:
            errors["y_min"] = "y_min must not be negative."
        if self.x_min >= self.x_max:
            errors["x_max"] = "x_max must be greater than x_min."
        if self.y_min >= self.y_max:
            errors["y_max"] = "y_max must be greater than y_min."
        if errors:
            raise ValidationError(errors)

    @property
    def coords(self) -> dict:
        return {"x_min": self.x_min, "y_min": self.y_min, "x_max": self.x_max, "y_max": self.y_max}
