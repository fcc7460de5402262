"""Invites: managers make single-use, expiring links; the holder signs up (or joins) with the invite's role."""

import hashlib
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotations.access import can_create_project
from annotations.models import Invite, Membership, Role
from annotations.services.invites import InviteUnusable, invite_accept, invite_create, invite_path, invite_revoke
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
GOOD_PASSWORD = "heron-pier-42-dusk"


@pytest.fixture(autouse=True)
def fresh_rates():
    """The invite pages' per-address rate lives in the (shared Redis) cache."""
    cache.clear()
    yield
    cache.clear()


def make_invite(project, manager, role=Role.REVIEWER, **kwargs):
    return invite_create(project=project, user=manager, role=role, **kwargs)


def sign_up(client, token, username="nora", password=GOOD_PASSWORD, password2=None, email=""):
    data = {"username": username, "email": email, "password1": password, "password2": password2 or password}
    return client.post(invite_path(token), data)


# --- the token ---------------------------------------------------------------------------------


def test_only_a_hash_of_the_unguessable_token_is_stored(project, manager):
    invite, token = make_invite(project, manager)
    other, other_token = make_invite(project, manager)
    assert len(token) == 43 and token != other_token  # 32 random bytes, URL-safe
    assert invite.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = Invite.objects.filter(pk=invite.pk).values().get()
    assert token not in " ".join(str(value) for value in stored.values())
    assert reverse("frontend:invite", kwargs={"token": token}) == invite_path(token)


def test_an_invite_is_used_once(project, manager):
    invite, token = make_invite(project, manager, role=Role.ANNOTATOR)
    first, second = UserFactory(username="first"), UserFactory(username="second")
    assert invite_accept(token=token, user=first).role == Role.ANNOTATOR
    with pytest.raises(InviteUnusable) as refused:
        invite_accept(token=token, user=second)
    assert refused.value.reason == "used"
    assert not Membership.objects.filter(project=project, user=second).exists()
    invite.refresh_from_db()
    assert invite.used_by == first and invite.state() == "used"


def test_an_expired_or_revoked_invite_cannot_be_used(project, manager, outsider):
    expired, expired_token = make_invite(project, manager)
    Invite.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked, revoked_token = make_invite(project, manager)
    invite_revoke(invite=revoked, user=manager)
    for token, reason in ((expired_token, "expired"), (revoked_token, "revoked"), ("x" * 43, "unknown")):
        with pytest.raises(InviteUnusable) as refused:
            invite_accept(token=token, user=outsider)
        assert refused.value.reason == reason
    assert not Membership.objects.filter(project=project, user=outsider).exists()


def test_an_invite_never_demotes_a_member(project, manager):
    _, token = make_invite(project, manager, role=Role.ANNOTATOR)
    assert invite_accept(token=token, user=manager).role == Role.MANAGER
    reviewer = UserFactory(username="rex")
    MembershipFactory(project=project, user=reviewer, role=Role.ANNOTATOR)
    _, token = make_invite(project, manager, role=Role.REVIEWER)
    assert invite_accept(token=token, user=reviewer).role == Role.REVIEWER


# --- the API (managers and staff) --------------------------------------------------------------


def api(project, invite_id=None):
    base = f"/api/projects/{project.pk}/invites/"
    return base if invite_id is None else f"{base}{invite_id}/"


def test_a_manager_creates_an_invite_and_sees_its_link_once(client_for, manager, project):
    client = client_for(manager)
    response = client.post(api(project), {"role": "reviewer", "email": "nora@example.com"}, format="json")
    assert response.status_code == 201
    body = response.json()
    token = body["url"].rstrip("/").rsplit("/", 1)[1]
    assert body["url"] == f"http://testserver/invites/{token}/"
    summary = (body["role"], body["email"], body["state"], body["created_by"])
    assert summary == ("reviewer", "nora@example.com", "active", "max")
    listed = client.get(api(project)).json()["results"]
    assert [i["id"] for i in listed] == [body["id"]]
    assert "url" not in listed[0] and token not in str(listed)


def test_only_managers_of_the_project_and_staff_make_or_revoke_invites(
    client_for, project, annotator, reviewer, outsider, staff
):
    for user, expected in ((annotator, 403), (reviewer, 403), (outsider, 404), (None, 401)):
        assert client_for(user).post(api(project), {"role": "manager"}, format="json").status_code == expected
        assert client_for(user).get(api(project)).status_code == expected
    assert Invite.objects.count() == 0
    response = client_for(staff).post(api(project), {"role": "manager"}, format="json")
    assert response.status_code == 201
    invite_id = response.json()["id"]
    for user, expected in ((annotator, 403), (outsider, 404)):
        assert client_for(user).delete(api(project, invite_id)).status_code == expected
    assert Invite.objects.get().state() == "active"


def test_bad_invite_input_is_a_400_that_makes_nothing(client_for, manager, project):
    client = client_for(manager)
    for body in ({"role": "owner"}, {"email": "not-an-address"}, {"expires_in_days": 0}, {"expires_in_days": 31}):
        response = client.post(api(project), body, format="json")
        assert response.status_code == 400, body
        assert "detail" in response.json() or set(body) & set(response.json())
    assert Invite.objects.count() == 0


def test_revoking_stops_the_link_and_a_used_invite_cannot_be_revoked(client_for, manager, project):
    client = client_for(manager)
    invite, token = make_invite(project, manager)
    assert client.delete(api(project, invite.pk)).status_code == 204
    assert client.delete(api(project, invite.pk)).status_code == 204  # twice is harmless
    assert client.get(api(project)).json()["results"][0]["state"] == "revoked"
    used, used_token = make_invite(project, manager)
    invite_accept(token=used_token, user=UserFactory(username="una"))
    assert client.delete(api(project, used.pk)).status_code == 409
    other_project_invite, _ = make_invite(ProjectFactory(), manager)
    assert client.delete(api(project, other_project_invite.pk)).status_code == 404


# --- the page: sign up or join ------------------------------------------------------------------


def test_a_newcomer_signs_up_through_the_link_and_lands_in_the_project_with_the_role(project, manager):
    invite, token = make_invite(project, manager, role=Role.REVIEWER, email="nora@example.com")
    client = Client()
    page = client.get(invite_path(token))
    assert page.status_code == 200
    text = page.content.decode()
    assert project.name in text and "reviewer" in text and 'value="nora@example.com"' in text
    response = sign_up(client, token, email="nora@example.com")
    assert response.status_code == 302 and response["Location"] == f"/projects/{project.pk}/"
    nora = User.objects.get(username="nora")
    assert nora.check_password(GOOD_PASSWORD) and nora.email == "nora@example.com"
    assert Membership.objects.get(project=project, user=nora).role == Role.REVIEWER
    assert int(client.session["_auth_user_id"]) == nora.pk
    assert client.get(f"/projects/{project.pk}/").status_code == 200
    again = sign_up(Client(), token, username="nora2")
    assert again.status_code == 410 and "already used" in again.content.decode()
    assert not User.objects.filter(username="nora2").exists()


def test_a_logged_in_user_joins_with_their_account(project, manager, outsider):
    _, token = make_invite(project, manager, role=Role.ANNOTATOR)
    client = Client()
    client.force_login(outsider)
    assert "Join as olga" in client.get(invite_path(token)).content.decode()
    response = client.post(invite_path(token))
    assert response.status_code == 302 and response["Location"] == f"/projects/{project.pk}/"
    assert Membership.objects.get(project=project, user=outsider).role == Role.ANNOTATOR


def test_passwords_go_through_djangos_validators(project, manager):
    invite, token = make_invite(project, manager)
    client = Client()
    for password, password2, words in (
        ("password", None, "too common"),
        ("12345678901", None, "entirely numeric"),
        ("short1", None, "too short"),
        ("noraxnoraxnorax", None, "too similar"),
        (GOOD_PASSWORD, GOOD_PASSWORD + "x", "passwords differ"),
    ):
        response = sign_up(client, token, username="noraxnoraxnorax", password=password, password2=password2)
        assert response.status_code == 400 and words in response.content.decode(), words
    assert not User.objects.filter(username="noraxnoraxnorax").exists()
    invite.refresh_from_db()
    assert invite.state() == "active"


def test_dead_links_get_a_clear_page_never_an_error(project, manager):
    revoked, revoked_token = make_invite(project, manager)
    invite_revoke(invite=revoked, user=manager)
    expired, expired_token = make_invite(project, manager)
    Invite.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    client = Client()
    for token, status, words in (
        (revoked_token, 410, "This invite was revoked"),
        (expired_token, 410, "This invite has expired"),
        ("A" * 43, 404, "This invite link does not work"),
    ):
        for response in (client.get(invite_path(token)), sign_up(client, token, username=f"u{status}")):
            assert response.status_code == status and words in response.content.decode()
            assert project.name not in response.content.decode()
    assert client.get("/invites/too-short/").status_code == 404
    assert User.objects.filter(username__startswith="u").count() == 0


def test_a_taken_username_gets_one_answer_whatever_the_account(project, manager):
    UserFactory(username="bob")
    UserFactory(username="ivy", is_active=False)
    _, token = make_invite(project, manager)
    answers = set()
    for name in ("bob", "BOB", "ivy"):
        response = sign_up(Client(REMOTE_ADDR=f"192.0.2.{len(answers) + 10}"), token, username=name)
        assert response.status_code == 400
        answers.add(re.search(r'role="alert">([^<]*)<', response.content.decode()).group(1))
    assert len(answers) == 1 and "not available" in answers.pop()


def test_sign_up_is_refused_without_csrf(project, manager):
    _, token = make_invite(project, manager)
    response = sign_up(Client(enforce_csrf_checks=True), token)
    assert response.status_code == 403
    assert not User.objects.filter(username="nora").exists()


def test_refused_sign_ups_count_like_failed_logins_and_lock_the_address_out(project, manager, settings):
    UserFactory(username="bob")
    _, token = make_invite(project, manager)
    client = Client(REMOTE_ADDR="198.51.100.7")
    limit = settings.AXES_FAILURE_LIMIT
    # Alternately a dead link and a taken username, each a failure for this address (and for "bob").
    statuses = [sign_up(client, "B" * 43 if i % 2 else token, username="bob").status_code for i in range(limit + 2)]
    assert statuses[: limit - 1] == [404 if i % 2 else 400 for i in range(limit - 1)]
    assert statuses[limit - 1 :] == [429] * 3
    response = sign_up(client, token, username="a-fresh-name")  # a good sign-up from that address waits too
    assert response.status_code == 429 and "Try again after" in response.content.decode()
    assert not User.objects.filter(username="a-fresh-name").exists()
    assert sign_up(Client(REMOTE_ADDR="198.51.100.8"), token, username="a-fresh-name").status_code == 302


def test_the_invite_pages_have_a_rate_per_address(project, manager, settings):
    _, token = make_invite(project, manager)
    client = Client(REMOTE_ADDR="203.0.113.5")
    statuses = [client.get(invite_path(token), HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code for i in range(40)]
    assert statuses.count(200) == 30 and statuses[30:] == [429] * 10  # 30/min; a forged header is no fresh budget
    refused = client.get(invite_path(token))
    assert int(refused["Retry-After"]) > 0 and "Too many requests" in refused.content.decode()


def test_project_creators_is_unaffected_by_signing_up(project, manager, settings):
    settings.PROJECT_CREATORS = "staff"
    _, token = make_invite(project, manager, role=Role.MANAGER)
    assert sign_up(Client(), token).status_code == 302
    nora = User.objects.get(username="nora")
    assert not nora.is_staff and not can_create_project(nora)


def test_admin_lists_and_revokes_invites(project, manager, client):
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    invite, _ = make_invite(project, manager, email="nora@example.com")
    client.force_login(admin_user)
    listing = client.get("/admin/annotations/invite/")
    assert listing.status_code == 200 and "nora@example.com" in listing.content.decode()
    response = client.post("/admin/annotations/invite/", {"action": "revoke", "_selected_action": [invite.pk]})
    assert response.status_code == 302
    invite.refresh_from_db()
    assert invite.state() == "revoked"


def test_joining_tells_the_projects_open_pages_after_commit(project, manager, sent, django_capture_on_commit_callbacks):
    _, token = make_invite(project, manager)
    una = UserFactory(username="una")
    with django_capture_on_commit_callbacks(execute=True):
        invite_accept(token=token, user=una)
    assert [(g, t, p) for g, t, p in sent if t == "members.changed"] == [
        (f"project.{project.pk}", "members.changed", {"project": project.pk})
    ]


def test_someone_with_an_account_logs_in_from_the_invite_and_comes_back_to_join(project, manager):
    invite, token = make_invite(project, manager)
    UserFactory(username="olga")
    client = Client()
    page = client.get(invite_path(token)).content.decode()
    login = f"/accounts/login/?next={invite_path(token)}"
    assert f'href="{login}"' in page
    response = client.post(login, {"username": "olga", "password": "pass-word-123", "next": invite_path(token)})
    assert response.status_code == 302 and response["Location"] == invite_path(token)
    assert "Join as olga" in client.get(invite_path(token)).content.decode()
    invite.refresh_from_db()
    assert invite.state() == "active"  # opening it is not using it


def test_a_refused_sign_up_leaves_neither_the_token_nor_the_passwords_in_the_failure_records(project, manager):
    UserFactory(username="bob")
    _, token = make_invite(project, manager)
    assert sign_up(Client(), token, username="bob").status_code == 400
    attempt = AccessAttempt.objects.get()
    stored = " ".join(str(value) for value in AccessAttempt.objects.filter(pk=attempt.pk).values().get().values())
    assert token not in stored and GOOD_PASSWORD not in stored
    assert attempt.path_info == "/invites/(token)/" and attempt.failures_since_start == 1
