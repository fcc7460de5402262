"""`export_dataset --out` never lands in the repository's machinery and never deletes a folder it did not make."""

import io

import pytest
from django.core.management import CommandError, call_command

from annotations.exports import dvc as dvc_repo
from annotations.exports import service
from annotations.models import DatasetVersion

pytestmark = pytest.mark.django_db


def export(project, out, *extra):
    call_command("export_dataset", str(project.pk), "--format", "coco", "--only", "all", "--no-images",
                 "--out", str(out), *extra, stdout=io.StringIO())  # fmt: skip


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("inside", [".git", ".git/objects", ".dvc", ".dvc/cache", ".secrets/keys"])
def test_dvc_out_inside_a_dot_folder_of_the_repository_is_refused_and_nothing_changes(dataset_project, inside):
    root = dvc_repo.repo_ensure()
    (root / ".secrets").mkdir(exist_ok=True)
    before = files_under(root)
    with pytest.raises(CommandError, match=r"inside \.\w+ of the dataset repository"):
        export(dataset_project, root / inside, "--dvc")
    assert files_under(root) == before
    assert not DatasetVersion.objects.exists()


def test_dvc_out_on_someone_elses_folder_is_refused_not_deleted(dataset_project):
    root = dvc_repo.repo_ensure()
    notes = root / "notes"
    notes.mkdir()
    (notes / "keep.txt").write_text("mine")
    with pytest.raises(CommandError, match="not made by an export"):
        export(dataset_project, notes, "--dvc")
    assert (notes / "keep.txt").read_text() == "mine"


def test_dvc_out_reuses_the_folder_of_an_earlier_export(dataset_project):
    root = dvc_repo.repo_ensure()
    export(dataset_project, root / "cranes", "--dvc")
    export(dataset_project, root / "cranes", "--dvc")
    assert DatasetVersion.objects.count() == 2
    assert any((root / "cranes").iterdir())


def test_a_failed_export_into_a_given_empty_folder_keeps_the_folder(dataset_project, tmp_path, monkeypatch):
    given = tmp_path / "given"
    given.mkdir()

    def broken_writer(**kwargs):
        (kwargs["out"] / "partial.json").write_text("{")
        raise RuntimeError("disk full")

    monkeypatch.setitem(service.WRITERS, "coco", broken_writer)
    with pytest.raises(RuntimeError):
        export(dataset_project, given)
    assert given.is_dir() and list(given.iterdir()) == []
