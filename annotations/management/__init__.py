from django.core.management.base import CommandError

from annotations.errors import NotFound
from annotations.models import Project
from annotations.selectors.projects import project_lookup


def project_argument(value: str) -> Project:
    """The PROJECT argument of every command (id or exact name); an unknown one is a CommandError."""
    try:
        return project_lookup(value)
    except NotFound as exc:
        raise CommandError(exc.detail) from None
