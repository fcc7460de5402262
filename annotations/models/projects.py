"""Projects, the people in them and their roles, and the labels boxes are drawn with."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower


class Role(models.TextChoices):
    ANNOTATOR = "annotator", "Annotator"
    REVIEWER = "reviewer", "Reviewer"
    MANAGER = "manager", "Manager"


# Each role can do everything the roles before it can.
ROLE_RANK = {Role.ANNOTATOR: 1, Role.REVIEWER: 2, Role.MANAGER: 3}


class Project(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Four-eyes review: off, a reviewer cannot approve or reject a frame they submitted
    # themselves unless nobody else in the project could review it.
    allow_self_review = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="projects")

    class Meta:
        ordering = ["name"]
        constraints = [
            # "CaseX" and "casex" are one name to people; the database holds that, not a check before insert.
            models.UniqueConstraint(Lower("name"), name="project_name_unique_ignoring_case"),
        ]

    def __str__(self):
        return self.name


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user_per_project"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self):
        return f"{self.user} in {self.project} as {self.role}"


hex_color = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Colour must look like #1f77b4.")
prompt_text = RegexValidator(
    r"^[A-Za-z][A-Za-z \-]{0,31}$", "A prompt is one noun: letters, spaces or hyphens, at most 32 characters."
)


class Label(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=100)
    color = models.CharField(max_length=7, default="#1f77b4", validators=[hex_color])
    prompt = models.CharField(max_length=32, blank=True, validators=[prompt_text])
    position = models.PositiveIntegerField(default=0, help_text="Order in the project's label list (then id).")

    class Meta:
        ordering = ["project_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(F("project"), Lower("name"), name="label_name_unique_ignoring_case_per_project"),
            models.CheckConstraint(condition=~Q(name=""), name="label_name_not_empty"),
        ]

    def __str__(self):
        return self.name

    @property
    def effective_prompt(self) -> str:
        return self.prompt or self.name
