"""Frames (`Image`), the sequences (clips) they belong to, and people's ratings of them."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from annotations.models.projects import Project


class Sequence(models.Model):
    """An ordered run of frames (one clip); its frames are ordered by `Image.frame_index`.

    Ingest makes one per upload batch or zip folder; people may rename it or move frames.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sequences")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project_id", "id"]
        constraints = [
            models.UniqueConstraint(F("project"), Lower("name"), name="sequence_name_unique_ignoring_case"),
            models.CheckConstraint(condition=~Q(name=""), name="sequence_name_not_empty"),
        ]

    def __str__(self):
        return self.name


class ImageStatus(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


def image_upload_to(instance: "Image", filename: str) -> str:
    # Content-addressed: the stored name never comes from the uploader.
    return f"projects/{instance.project_id}/{instance.sha256[:2]}/{instance.sha256}.{instance.file_extension}"


class Image(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(upload_to=image_upload_to, max_length=300)
    original_name = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=16, help_text="Format Pillow detected, e.g. PNG, JPEG.")
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    frame_index = models.PositiveIntegerField(default=0)
    sequence = models.ForeignKey(
        Sequence, null=True, blank=True, on_delete=models.SET_NULL, related_name="images"
    )
    status = models.CharField(max_length=16, choices=ImageStatus.choices, default=ImageStatus.NEW)
    metadata = models.JSONField(default=dict, blank=True)
    review_comment = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project_id", "frame_index", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "sha256"], name="image_unique_sha256_per_project"),
            models.CheckConstraint(condition=Q(width__gt=0) & Q(height__gt=0), name="image_size_positive"),
            models.CheckConstraint(condition=Q(status__in=ImageStatus.values), name="image_status_valid"),
        ]
        indexes = [
            models.Index(fields=["project", "frame_index"], name="image_project_frame_idx"),
            models.Index(fields=["project", "status"], name="image_project_status_idx"),
            models.Index(fields=["sequence", "frame_index"], name="image_sequence_frame_idx"),
        ]

    def __str__(self):
        return f"{self.project} #{self.frame_index}"

    @property
    def file_extension(self) -> str:
        return {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp", "BMP": "bmp", "TIFF": "tif"}.get(
            self.format, "bin"
        )


class Rating(models.IntegerChoices):
    POSITIVE = 1, "Positive"
    NEUTRAL = 0, "Neutral"
    NEGATIVE = -1, "Negative"


class FrameFeedback(models.Model):
    """A user's rating of a frame; clearing the rating deletes the row."""

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="frame_feedback")
    rating = models.SmallIntegerField(choices=Rating.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "feedback_framefeedback"  # created by the feedback app; moved without moving data
        constraints = [
            models.UniqueConstraint(fields=["image", "user"], name="feedback_one_per_user_per_image"),
            models.CheckConstraint(condition=Q(rating__in=[-1, 0, 1]), name="feedback_rating_valid"),
        ]

    def __str__(self):
        return f"{self.user} rated {self.image_id}: {self.rating:+d}"
