"""POST projects/{id}/datasets/: a manager exports a DVC version over REST; bad input changes nothing."""

import subprocess
from pathlib import Path

import pytest

from annotations.exports import dvc
from annotations.models import DatasetVersion, ImageStatus

pytestmark = pytest.mark.django_db


def _post(client, project, body):
    return client.post(f"/api/projects/{project.pk}/datasets/", body, format="json")


def test_a_manager_exports_a_dvc_version_and_gets_it_back(dataset_project, manager, client_for):
    response = _post(client_for(manager), dataset_project, {"format": "yolo", "only": "approved"})
    assert response.status_code == 201, response.json()
    body = response.json()
    dataset = DatasetVersion.objects.get(pk=body["id"])
    assert body["format"] == "yolo" and body["only"] == "approved" and body["created_by"] == manager.pk
    assert body["counts"]["images"] == 1 and body["counts"]["boxes"] == 2
    # A real DVC version: the .dvc file is committed at the returned rev and records the returned hash.
    folder = Path(dataset.path)
    assert dvc.repo_dir().resolve() in folder.parents and (folder / "data.yaml").exists()
    dvc_file = folder.parent / f"{folder.name}.dvc"
    committed = subprocess.run(
        ["git", "show", f"{body['git_rev']}:{dvc_file.relative_to(dvc.repo_dir().resolve())}"],
        cwd=dvc.repo_dir(), capture_output=True, text=True, check=True,
    ).stdout
    assert body["dvc_hash"] and body["dvc_hash"] in committed
    # Listed for members, downloadable by the manager.
    listed = client_for(manager).get(f"/api/projects/{dataset_project.pk}/datasets/").json()["results"]
    assert [row["id"] for row in listed] == [dataset.pk]


@pytest.mark.parametrize(
    "body, field",
    [({"only": "approved"}, "format"), ({"format": "pdf"}, "format"), ({"format": "coco", "only": "maybe"}, "only"),
     ({"format": ["coco"]}, "format")],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(dataset_project, manager, client_for, body, field):
    response = _post(client_for(manager), dataset_project, body)
    assert response.status_code == 400 and field in response.json()
    assert not DatasetVersion.objects.exists() and not dvc.repo_dir().exists()


def test_nothing_to_export_is_a_400_and_writes_nothing(dataset_project, manager, client_for):
    dataset_project.images.filter(status=ImageStatus.APPROVED).update(status=ImageStatus.NEW)
    response = _post(client_for(manager), dataset_project, {"format": "coco", "only": "approved"})
    assert response.status_code == 400
    assert response.json()["detail"] == "Nothing to export: the project has no approved frames."
    assert not DatasetVersion.objects.exists() and not dvc.repo_dir().exists()


def test_annotators_and_reviewers_are_forbidden_and_outsiders_see_nothing(
    dataset_project, annotator, reviewer, outsider, client_for
):
    for user in (annotator, reviewer):
        assert _post(client_for(user), dataset_project, {"format": "coco"}).status_code == 403
    assert _post(client_for(outsider), dataset_project, {"format": "coco"}).status_code == 404
    assert not DatasetVersion.objects.exists()
