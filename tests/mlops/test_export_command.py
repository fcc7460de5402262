"""`manage.py export_dataset`: the project by id or name, clear errors for bad input."""

import io

import pytest
from django.core.management import CommandError, call_command

from annotations.models import DatasetVersion

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command("export_dataset", *args, stdout=out)
    return out.getvalue()


def test_a_project_is_found_by_name_and_the_counts_are_printed(dataset_project, tmp_path):
    output = run(dataset_project.name, "--format", "voc", "--only", "submitted", "--out", str(tmp_path / "v"))
    assert "Exported 2 images, 3 boxes, 3 labels (voc, submitted)" in output
    dataset = DatasetVersion.objects.get()
    assert dataset.mlflow_run_id == f"dataset_version:{dataset.pk}"  # the outbox key until flushed


def test_the_default_folder_is_a_fresh_one_under_exports(dataset_project, settings):
    run(str(dataset_project.pk), "--format", "yolo", "--no-images")
    run(str(dataset_project.pk), "--format", "yolo", "--no-images")
    paths = set(DatasetVersion.objects.values_list("path", flat=True))
    assert len(paths) == 2
    assert all(str(settings.DVC_REPO_DIR.parent / "exports") in p for p in paths)


@pytest.mark.parametrize(
    "args",
    [
        ["999999", "--format", "coco"],
        ["{pk}", "--format", "csv"],
        ["{pk}", "--format", "coco", "--only", "rejected"],
        ["{pk}", "--format", "coco", "--push"],
    ],
)
def test_bad_input_is_a_command_error(dataset_project, args):
    with pytest.raises(CommandError):
        run(*[a.format(pk=dataset_project.pk) for a in args])
    assert not DatasetVersion.objects.exists()
