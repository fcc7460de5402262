"""Projects over REST: who sees which, creating makes you manager, counts for dashboards, bounded queries."""

import pytest
from django.core.cache import cache

from annotations.models import ImageStatus, Membership, Project, Role
from annotations.models import FrameFeedback
from tests.annotations.upload_helpers import fast_password_hasher, media_files  # noqa: F401 (autouse fixture)
from tests.factories import BoxFactory, ImageFactory, MembershipFactory, ProjectFactory, UserFactory


def test_a_user_lists_only_their_projects_with_their_role(client_for, annotator, project):
    ProjectFactory(name="Someone else's")
    body = client_for(annotator).get("/api/projects/").json()
    assert [(p["id"], p["role"]) for p in body["results"]] == [(project.pk, "annotator")]


def test_staff_list_every_project_as_manager(client_for, staff, project):
    ProjectFactory()
    body = client_for(staff).get("/api/projects/").json()
    assert body["count"] == 2 and {p["role"] for p in body["results"]} == {"manager"}


def test_anonymous_is_401(client_for):
    assert client_for().get("/api/projects/").status_code == 401


def test_counts_by_status_boxes_and_feedback(client_for, annotator, project):
    frames = [ImageFactory(project=project) for _ in range(4)]
    frames[0].status = ImageStatus.SUBMITTED
    frames[0].save()
    frames[1].status = ImageStatus.APPROVED
    frames[1].save()
    BoxFactory(image=frames[0])
    BoxFactory(image=frames[0])
    BoxFactory(image=frames[1], deleted=True)
    FrameFeedback.objects.create(image=frames[0], user=annotator, rating=1)
    FrameFeedback.objects.create(image=frames[0], user=UserFactory(), rating=-1)
    FrameFeedback.objects.create(image=frames[2], user=annotator, rating=0)
    other = ImageFactory(project=ProjectFactory())
    BoxFactory(image=other)
    [row] = client_for(annotator).get("/api/projects/").json()["results"]
    assert row["image_count"] == 4
    assert row["status_counts"] == {"new": 2, "in_progress": 0, "submitted": 1, "approved": 1, "rejected": 0}
    assert row["box_count"] == 2
    assert row["feedback_image_count"] == 2
    assert row["member_count"] == 1


def test_list_queries_do_not_grow_with_projects(client_for, staff, django_assert_max_num_queries):
    for _ in range(15):
        frame = ImageFactory(project=ProjectFactory())
        BoxFactory(image=frame)
    with django_assert_max_num_queries(3):
        response = client_for(staff).get("/api/projects/")
    assert response.json()["count"] == 15


def test_filter_by_name_and_unknown_parameters_are_ignored(client_for, staff):
    ProjectFactory(name="Harbour cranes")
    ProjectFactory(name="Street cats")
    client = client_for(staff)
    assert [p["name"] for p in client.get("/api/projects/?name=CAT").json()["results"]] == ["Street cats"]
    assert client.get("/api/projects/?created_by__password__startswith=pbkdf2").json()["count"] == 2


def test_any_user_may_create_a_project_and_becomes_its_manager(client_for, outsider):
    response = client_for(outsider).post("/api/projects/", {"name": "Cranes", "description": "port"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["role"] == "manager" and body["image_count"] == 0 and body["created_by"] == outsider.pk
    assert Membership.objects.get(project_id=body["id"], user=outsider).role == Role.MANAGER


def test_with_project_creators_staff_only_staff_create_projects(client_for, outsider, staff, settings):
    settings.PROJECT_CREATORS = "staff"
    response = client_for(outsider).post("/api/projects/", {"name": "Cranes"}, format="json")
    assert response.status_code == 403 and "staff" in response.json()["detail"]
    assert not Project.objects.exists()
    assert client_for(staff).post("/api/projects/", {"name": "Cranes"}, format="json").status_code == 201


def test_the_project_page_says_whether_the_user_may_create_projects(outsider, settings):
    from django.test import Client

    client = Client()
    client.force_login(outsider)
    assert client.get("/").context["can_create_projects"] is True
    settings.PROJECT_CREATORS = "staff"
    assert client.get("/").context["can_create_projects"] is False


def test_self_review_is_off_by_default_and_a_manager_turns_it_on(client_for, manager, project):
    client = client_for(manager)
    assert client.get(f"/api/projects/{project.pk}/").json()["allow_self_review"] is False
    response = client.patch(f"/api/projects/{project.pk}/", {"allow_self_review": True}, format="json")
    assert response.status_code == 200 and response.json()["allow_self_review"] is True
    project.refresh_from_db()
    assert project.allow_self_review is True


@pytest.mark.parametrize("name", ["", "   "])
def test_a_blank_name_is_400_naming_the_field(client_for, outsider, name):
    response = client_for(outsider).post("/api/projects/", {"name": name}, format="json")
    assert response.status_code == 400 and "name" in response.json()


def test_a_taken_name_is_400_naming_the_field(client_for, outsider, project):
    response = client_for(outsider).post("/api/projects/", {"name": project.name.upper()}, format="json")
    assert response.status_code == 400 and "name" in response.json()
    assert Project.objects.count() == 1


def test_members_read_a_project_and_managers_change_it(client_for, annotator, manager, project):
    assert client_for(annotator).get(f"/api/projects/{project.pk}/").json()["name"] == project.name
    assert client_for(annotator).patch(f"/api/projects/{project.pk}/", {"name": "X"}, format="json").status_code == 403
    response = client_for(manager).patch(f"/api/projects/{project.pk}/", {"description": "new"}, format="json")
    assert response.status_code == 200 and response.json()["description"] == "new"
    project.refresh_from_db()
    assert project.description == "new"


def test_deleting_a_project_removes_its_frames_boxes_and_files(
    client_for, manager, project, media_root, django_capture_on_commit_callbacks
):
    frame = ImageFactory(project=project)
    BoxFactory(image=frame)  # boxes protect their labels: the delete must still work
    client_for(manager).get(f"/api/images/{frame.pk}/file/?thumb=64")
    assert any(name.startswith("thumbs/") for name in media_files(media_root))
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(manager).delete(f"/api/projects/{project.pk}/").status_code == 204
    assert not Project.objects.filter(pk=project.pk).exists()
    assert media_files(media_root) == set()


def test_a_reviewer_cannot_delete_and_an_outsider_gets_404(client_for, reviewer, outsider, project):
    assert client_for(reviewer).delete(f"/api/projects/{project.pk}/").status_code == 403
    assert client_for(outsider).delete(f"/api/projects/{project.pk}/").status_code == 404
    assert client_for(outsider).get(f"/api/projects/{project.pk}/").status_code == 404
    assert Project.objects.filter(pk=project.pk).exists()


@pytest.fixture
def token_throttle_reset():
    cache.delete_many([f"throttle_token_{ip}" for ip in ("127.0.0.1", "None")])
    yield
    cache.delete_many([f"throttle_token_{ip}" for ip in ("127.0.0.1", "None")])


def test_token_auth_round_trip(token_throttle_reset, project):
    from rest_framework.test import APIClient

    user = UserFactory(username="tokenuser")
    MembershipFactory(project=project, user=user)
    client = APIClient()
    response = client.post("/api/auth/token/", {"username": "tokenuser", "password": "pass-word-123"}, format="json")
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/projects/").json()["count"] == 1


def test_wrong_credentials_are_a_json_400(token_throttle_reset, db):
    from rest_framework.test import APIClient

    UserFactory(username="tokenuser")
    response = APIClient().post("/api/auth/token/", {"username": "tokenuser", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json") and "detail" in response.json()


def test_a_project_is_created_with_its_labels_all_or_nothing(client_for, annotator):
    from annotations.models import Label, Project

    client = client_for(annotator)
    body = {"name": "Birds", "labels": [{"name": "gull", "color": "#1f77b4"}, {"name": "tern", "prompt": "bird"}]}
    response = client.post("/api/projects/", body, format="json")
    assert response.status_code == 201, response.json()
    project = Project.objects.get(pk=response.json()["id"])
    assert list(Label.objects.filter(project=project).order_by("id").values_list("name", "color", "prompt")) == [
        ("gull", "#1f77b4", ""), ("tern", Label._meta.get_field("color").default, "bird")
    ]  # fmt: skip
    assert response.json()["role"] == "manager"
    twice = {"name": "Fish", "labels": [{"name": "cod"}, {"name": "COD"}]}
    refused = client.post("/api/projects/", twice, format="json")
    assert refused.status_code == 400
    assert not Project.objects.filter(name="Fish").exists()
