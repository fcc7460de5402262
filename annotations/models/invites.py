"""Invite links for people without an account."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from annotations.models.projects import Project, Role


class Invite(models.Model):
    """A single-use, expiring link that lets its holder join a project with a role.

    Only the SHA-256 of the token is stored: the link is shown once, to the manager who made
    it, and a copy of the database cannot be turned into working links.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invites")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)
    # Shown to the managers to tell invites apart; never used to look an account up.
    email = models.EmailField(blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(role__in=Role.values), name="invite_role_valid")]

    def __str__(self):
        return f"Invite to {self.project} as {self.role}" + (f" for {self.email}" if self.email else "")

    def state(self, now=None) -> str:
        """`used`, `revoked`, `expired` or `active` (only an active invite can be used)."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= (now or timezone.now()):
            return "expired"
        return "active"
