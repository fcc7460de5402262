"""Members over REST: managers add, change and remove; a project always keeps a manager."""

import json

import pytest

from annotations.models import Membership, Role
from tests.annotations.upload_helpers import fast_password_hasher  # noqa: F401 (autouse fixture)
from tests.factories import UserFactory


def url(project, user_id=None):
    base = f"/api/projects/{project.pk}/members/"
    return base if user_id is None else f"{base}{user_id}/"


def test_members_see_the_member_list(client_for, annotator, manager, project):
    body = client_for(annotator).get(url(project)).json()
    assert {(m["username"], m["role"]) for m in body["results"]} == {("anna", "annotator"), ("max", "manager")}


def test_a_manager_adds_by_username(client_for, manager, project):
    newcomer = UserFactory(username="nina")
    response = client_for(manager).post(url(project), {"username": "nina", "role": "reviewer"}, format="json")
    assert response.status_code == 201
    assert response.json() == {**response.json(), "user": newcomer.pk, "username": "nina", "role": "reviewer"}
    assert Membership.objects.get(project=project, user=newcomer).role == Role.REVIEWER


def test_a_manager_adds_by_e_mail_address_in_any_case(client_for, manager, project):
    newcomer = UserFactory(username="nina", email="Nina.K@example.com")
    response = client_for(manager).post(url(project), {"username": "nina.k@EXAMPLE.com"}, format="json")
    assert response.status_code == 201 and response.json()["username"] == "nina"
    assert Membership.objects.get(project=project, user=newcomer).role == Role.ANNOTATOR


def test_staff_add_by_user_id_and_a_manager_changes_a_members_role_by_id(client_for, staff, manager, project):
    newcomer = UserFactory()
    response = client_for(staff).post(url(project), {"user": newcomer.pk, "role": "annotator"}, format="json")
    assert response.status_code == 201
    response = client_for(manager).post(url(project), {"user": newcomer.pk, "role": "manager"}, format="json")
    assert response.status_code == 200 and response.json()["role"] == "manager"
    assert Membership.objects.filter(project=project, user=newcomer).count() == 1


def test_a_manager_changes_a_role_with_patch(client_for, manager, annotator, outsider, project):
    client = client_for(manager)
    response = client.patch(url(project, annotator.pk), {"role": "reviewer"}, format="json")
    assert response.status_code == 200 and response.json()["role"] == "reviewer"
    assert Membership.objects.get(project=project, user=annotator).role == Role.REVIEWER
    assert client.patch(url(project, outsider.pk), {"role": "reviewer"}, format="json").status_code == 404
    assert client.patch(url(project, annotator.pk), {"role": "boss"}, format="json").status_code == 400
    assert client.patch(url(project, manager.pk), {"role": "annotator"}, format="json").status_code == 409


def _answer(response):
    return response.status_code, json.dumps(response.json(), sort_keys=True)


def test_unknown_inactive_and_foreign_accounts_get_one_and_the_same_answer(client_for, manager, outsider, project):
    """A manager cannot tell an account that exists from one that does not, by name, e-mail or id."""
    UserFactory(username="gone", email="gone@example.com", is_active=False)
    client = client_for(manager)

    def add(body):
        return _answer(client.post(url(project), {**body, "role": "annotator"}, format="json"))

    by_name = {add({"username": name}) for name in ("ghost", "gone", "ghost@example.com", "gone@example.com")}
    assert len(by_name) == 1 and by_name.pop()[0] == 400
    # outsider "olga" exists and is active, user 99999999 does not: the id gives nothing away.
    by_id = {add({"user": outsider.pk}), add({"user": 99999999})}
    assert len(by_id) == 1
    status, body = by_id.pop()
    assert status == 400 and "staff" in json.loads(body)["user"][0]
    assert not Membership.objects.filter(project=project, user=outsider).exists()


def test_a_username_must_match_exactly(client_for, manager, project):
    UserFactory(username="nina")
    response = client_for(manager).post(url(project), {"username": "NINA"}, format="json")
    assert response.status_code == 400 and "username" in response.json()


def test_an_e_mail_address_shared_by_two_accounts_names_nobody(client_for, manager, project):
    UserFactory(username="a1", email="team@example.com")
    UserFactory(username="a2", email="team@example.com")
    response = client_for(manager).post(url(project), {"username": "team@example.com"}, format="json")
    assert response.status_code == 400
    assert Membership.objects.filter(project=project).count() == 1


@pytest.mark.parametrize(
    "body,field",
    [
        ({"username": "ghost", "role": "annotator"}, "username"),
        ({"username": "nina", "role": "overlord"}, "role"),
        ({"role": "annotator"}, "username"),
        ({"user": "abc"}, "user"),
    ],
)
def test_bad_member_input_is_400_naming_the_field(client_for, manager, project, body, field):
    UserFactory(username="nina")
    response = client_for(manager).post(url(project), body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()


def test_non_managers_cannot_add_or_remove(client_for, reviewer, annotator, project):
    client = client_for(reviewer)
    assert client.post(url(project), {"username": "anna", "role": "manager"}, format="json").status_code == 403
    assert client.delete(url(project, annotator.pk)).status_code == 403
    assert Membership.objects.get(project=project, user=annotator).role == Role.ANNOTATOR


def test_a_manager_removes_a_member(client_for, manager, annotator, project):
    assert client_for(manager).delete(url(project, annotator.pk)).status_code == 204
    assert not Membership.objects.filter(project=project, user=annotator).exists()
    # the removed user no longer sees the project at all
    assert client_for(annotator).get(f"/api/projects/{project.pk}/").status_code == 404


def test_removing_a_non_member_is_404(client_for, manager, outsider, project):
    assert client_for(manager).delete(url(project, outsider.pk)).status_code == 404


def test_the_last_manager_can_neither_leave_nor_be_demoted(client_for, manager, project):
    client = client_for(manager)
    assert client.delete(url(project, manager.pk)).status_code == 409
    response = client.post(url(project), {"username": "max", "role": "annotator"}, format="json")
    assert response.status_code == 409 and "manager" in response.json()["detail"]
    assert Membership.objects.get(project=project, user=manager).role == Role.MANAGER


def test_outsiders_get_404(client_for, outsider, project):
    client = client_for(outsider)
    assert client.get(url(project)).status_code == 404
    assert client.post(url(project), {"username": "olga", "role": "manager"}, format="json").status_code == 404
    assert not Membership.objects.filter(project=project, user=outsider).exists()
