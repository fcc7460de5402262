"""Logins are throttled per username and per client address; a forged X-Forwarded-For changes nothing."""

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"
ATTEMPTS = 30


@pytest.fixture(autouse=True)
def fresh_token_rate():
    """DRF's per-address token rate lives in the (Redis) cache, across tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def victim(db):
    return UserFactory(username="vera")


def form_login(client, username, password, **headers):
    return client.post("/accounts/login/", {"username": username, "password": password}, **headers)


def token_login(client, username, password, **headers):
    return client.post("/api/auth/token/", {"username": username, "password": password}, format="json", **headers)


def forged(i: int) -> dict:
    return {"HTTP_X_FORWARDED_FOR": f"203.0.113.{i % 250}, 198.51.100.{i % 250}"}


def test_wrong_passwords_on_the_login_form_are_locked_out_whatever_x_forwarded_for_says(victim, settings):
    client = Client()
    statuses = [form_login(client, "vera", f"guess-{i}", **forged(i)).status_code for i in range(ATTEMPTS)]

    limit = settings.AXES_FAILURE_LIMIT
    assert statuses[: limit - 1] == [200] * (limit - 1)  # the form again, "didn't match"
    assert statuses[limit - 1 :] == [429] * (ATTEMPTS - limit + 1)

    response = form_login(client, "vera", PASSWORD, **forged(99))
    assert response.status_code == 429
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    text = response.content.decode()
    assert "Too many failed logins" in text and "Try again after" in text
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302  # still sent to the login page


def test_wrong_passwords_on_the_token_endpoint_are_refused_after_the_limit(victim, settings):
    client = APIClient()
    statuses = [token_login(client, "vera", f"guess-{i}", **forged(i)).status_code for i in range(ATTEMPTS)]

    limit = settings.AXES_FAILURE_LIMIT
    assert statuses[: limit - 1] == [400] * (limit - 1)
    assert statuses[limit - 1 :] == [429] * (ATTEMPTS - limit + 1)

    response = token_login(client, "vera", PASSWORD, **forged(99))
    assert response.status_code == 429 and "token" not in response.json()
    assert "Retry-After" in response
    # A minute later the per-address rate has room again; the lockout still holds.
    cache.clear()
    response = token_login(client, "vera", PASSWORD)
    assert response.status_code == 429 and "token" not in response.json()
    assert "Try again after" in response.json()["detail"]


def test_the_token_rate_counts_the_socket_address_not_the_header(db):
    client = APIClient()
    statuses = [token_login(client, f"nobody{i}", "x", **forged(i)).status_code for i in range(25)]
    assert statuses.count(429) >= 5  # 20/min per address; each forged header would have been a fresh budget


def test_one_address_is_locked_out_across_usernames(db, settings):
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        form_login(client, f"someone{i}", "wrong")
    other = UserFactory(username="otto")
    response = form_login(client, other.username, PASSWORD)
    assert response.status_code == 429 and "_auth_user_id" not in client.session


def test_one_username_is_locked_out_across_addresses_behind_a_trusted_proxy(victim, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        form_login(client, "vera", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{i + 1}")
    # The last hop is the address the proxy saw: a fresh one, but the username is locked.
    assert form_login(client, "vera", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200").status_code == 429
    attempts = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert attempts == {f"192.0.2.{i + 1}" for i in range(settings.AXES_FAILURE_LIMIT)} | {"192.0.2.200"}
    # Someone else from a fresh address logs in as usual.
    UserFactory(username="otto")
    assert form_login(client, "otto", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.201").status_code == 302


def test_a_forged_address_that_is_not_an_ip_counts_as_the_socket_address(victim, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    response = form_login(Client(), "vera", "wrong", HTTP_X_FORWARDED_FOR="'; DROP TABLE users; --")
    assert response.status_code == 200
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["127.0.0.1"]


def test_an_admin_unlocks_a_user_in_django_admin(victim, settings):
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        form_login(client, "vera", "wrong")
    assert form_login(client, "vera", PASSWORD).status_code == 429

    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "vera" in listing.content.decode()
    attempt = AccessAttempt.objects.get(username="vera")
    deleted = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302

    assert form_login(client, "vera", PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(victim.pk)
