"""Dataset versions over REST: members list them, managers download a zip, others see 404."""

import io
import zipfile

import pytest

from annotations.exports.service import dataset_export
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(dataset_project, manager, tmp_path):
    return dataset_export(project=dataset_project, user=manager, format="yolo", only="all", out=tmp_path / "y")


def test_members_list_the_projects_dataset_versions(dataset, annotator, client_for, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = client_for(annotator).get(f"/api/projects/{dataset.project_id}/datasets/")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["id"] == dataset.pk and row["format"] == "yolo" and row["counts"]["boxes"] == 4


def test_a_manager_downloads_the_export_as_a_zip_of_the_folder(dataset, manager, client_for):
    response = client_for(manager).get(f"/api/datasets/{dataset.pk}/download/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    assert "data.yaml" in names and sum(n.startswith("images/") for n in names) == 3
    assert sum(n.startswith("labels/") for n in names) == 3
    assert archive.testzip() is None


def test_an_annotator_is_forbidden_and_an_outsider_sees_nothing(dataset, annotator, outsider, client_for):
    assert client_for(annotator).get(f"/api/datasets/{dataset.pk}/download/").status_code == 403
    assert client_for(outsider).get(f"/api/datasets/{dataset.pk}/download/").status_code == 404
    assert client_for(outsider).get(f"/api/projects/{dataset.project_id}/datasets/").status_code == 404
    assert client_for(outsider).get("/api/datasets/999999/download/").status_code == 404


def test_another_projects_manager_gets_404(dataset, client_for):
    from annotations.models import Membership, Role
    from tests.factories import UserFactory

    other = UserFactory(username="boss")
    Membership.objects.create(project=ProjectFactory(), user=other, role=Role.MANAGER)
    assert client_for(other).get(f"/api/datasets/{dataset.pk}/download/").status_code == 404
