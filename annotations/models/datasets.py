"""Dataset versions: exports of a project's annotations."""

from django.conf import settings
from django.db import models

from annotations.models.projects import Project


class DatasetVersion(models.Model):
    """One export of a project's annotations, optionally versioned in the DVC repo."""

    class Format(models.TextChoices):
        COCO = "coco", "COCO"
        YOLO = "yolo", "YOLO"
        VOC = "voc", "Pascal VOC"
        MOT = "mot", "MOTChallenge"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="dataset_versions")
    format = models.CharField(max_length=8, choices=Format.choices)
    only = models.CharField(max_length=16, default="approved")
    path = models.CharField(max_length=500)
    git_rev = models.CharField(max_length=64, blank=True)
    dvc_hash = models.CharField(max_length=128, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    mlflow_run_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.project} {self.format} {self.git_rev[:8] or self.pk}"
