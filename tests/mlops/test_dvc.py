"""`export_dataset --dvc`: versions in a real git + DVC repository, checked with the real CLIs."""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from annotations.exports import dvc as dvc_repo
from annotations.models import DatasetVersion

pytestmark = pytest.mark.django_db


def dvc(*args, cwd):
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          env=dvc_repo._env()).stdout


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          env=dvc_repo._env()).stdout


def export(project, *extra):
    out = io.StringIO()
    call_command("export_dataset", str(project.pk), "--format", "coco", "--only", "all", "--dvc", *extra, stdout=out)
    return out.getvalue()


def test_a_dvc_export_is_a_clean_version_that_dvc_checkout_restores(dataset_project, settings):
    output = export(dataset_project)
    dataset = DatasetVersion.objects.get()
    repo = settings.DVC_REPO_DIR
    assert dataset.git_rev == git("rev-parse", "HEAD", cwd=repo).strip()
    assert dataset.dvc_hash.endswith(".dir")
    assert f"git {dataset.git_rev} dvc {dataset.dvc_hash}" in output
    assert "Data and pipelines are up to date" in dvc("status", cwd=repo)
    assert git("status", "--porcelain", cwd=repo).strip() == ""
    message = git("log", "-1", "--format=%s", cwd=repo)
    assert dataset_project.name in message and "coco" in message and "3 images, 4 boxes" in message

    exported = next((Path(dataset.path) / "images").iterdir())
    content = exported.read_bytes()
    exported.unlink()
    assert "modified" in dvc("status", cwd=repo)
    dvc("checkout", cwd=repo)
    assert exported.read_bytes() == content


def test_two_exports_make_two_commits_and_push_then_pull_in_a_fresh_clone(dataset_project, settings, tmp_path):
    export(dataset_project)
    repo = settings.DVC_REPO_DIR
    commits_before = int(git("rev-list", "--count", "HEAD", cwd=repo))
    dataset_project.labels.first().boxes.update(x_max=200)
    export(dataset_project, "--push")
    assert int(git("rev-list", "--count", "HEAD", cwd=repo)) == commits_before + 1
    first, second = DatasetVersion.objects.order_by("id")
    assert first.git_rev != second.git_rev and first.dvc_hash != second.dvc_hash
    assert second.counts["pushed"] is True

    clone = tmp_path / "clone"
    git("clone", "-q", str(repo), str(clone), cwd=tmp_path)
    relative = Path(second.path).relative_to(repo)
    assert not (clone / relative).exists()
    dvc("pull", cwd=clone)
    assert (clone / relative / "annotations.json").read_bytes() == (repo / relative / "annotations.json").read_bytes()
    assert len(list((clone / relative / "images").iterdir())) == 3
