"""The history of every change to a frame: the basis of undo/redo and the session metrics."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from annotations.models.boxes import Box
from annotations.models.images import Image


class EventAction(models.TextChoices):
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    UNDO = "undo", "Undo"
    REDO = "redo", "Redo"
    SUBMIT = "submit", "Submit"
    REVIEW = "review", "Review"
    ACCEPT = "accept", "Accept AI box"
    REJECT = "reject", "Reject AI box"
    FEEDBACK = "feedback", "Frame feedback"


class AnnotationEvent(models.Model):
    """One change to a frame, with the state before and after.

    Undo and redo are computed from these rows per user per image: `undone` marks an
    event whose effect is currently reverted; `reverts` links an undo/redo event to
    the event it acted on.
    """

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="events")
    box = models.ForeignKey(Box, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=16, choices=EventAction.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    undone = models.BooleanField(default=False)
    reverts = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Events of one user action that are undone and redone together, across frames (copy forward,
    # interpolation): one UPDATE marks them, one index lookup finds them. (Accept-all, older, keeps
    # its key in `after["group"]`.)
    group = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["image_id", "id"]
        indexes = [
            models.Index(fields=["image", "user", "id"], name="event_image_user_idx"),
            models.Index(fields=["group"], condition=Q(group__isnull=False), name="event_group_idx"),
        ]

    def __str__(self):
        return f"{self.action} on {self.image_id} by {self.user_id}"
