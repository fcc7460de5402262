"""Helpers every run payload uses: the project's experiment, times in MLflow's milliseconds, the user tag.

Duck-typed on purpose: the tracking app knows no domain model.
"""

from pathlib import Path

from django.conf import settings
from django.utils.text import slugify

from tracking.client import experiment_name


def project_experiment(project) -> str:
    """The experiment of a project (anything with `pk` and `name`)."""
    return experiment_name(project_id=project.pk, slug=slugify(project.name)[:60] or "unnamed")


def ms(value) -> int | None:
    return int(value.timestamp() * 1000) if value else None


def user_tag(user) -> str:
    return getattr(user, "username", "") or ""


def staging_root() -> Path:
    """Where a run's artifacts wait on disk until its outbox row is sent (then they are removed)."""
    return Path(settings.MLFLOW_ARTIFACT_ROOT).parent / "tracking-staging"
