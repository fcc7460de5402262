"""`dataset_version_create`: what a manager's "Export" (POST projects/{id}/datasets/) does.

The same export as `manage.py export_dataset --dvc`, through the same service; only the
"nothing to export" refusal is added here, checked before a file or a DVC commit is made, so a
refused request leaves the dataset repository and the database as they were.

It sits beside `exports` rather than in `services` because `exports` already imports `services`
(the acyclic-siblings contract in .importlinter)."""

from annotations.errors import InvalidInput
from annotations.exports import rows
from annotations.exports.service import dataset_export
from annotations.models import DatasetVersion


def dataset_version_create(*, project, user, format: str, only: str = "approved") -> DatasetVersion:
    if not rows.image_count(project_id=project.pk, only=rows.only_check(only)):
        which = "frames" if only == "all" else f"{only} frames"
        raise InvalidInput(f"Nothing to export: the project has no {which}.", only=[f"No {which}."])
    return dataset_export(project=project, user=user, format=format, only=only, dvc=True)
