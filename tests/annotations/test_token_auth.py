"""API tokens: one query checks the token and its user (SQL written once per process,
annotations/api/authentication.py) and the answers are DRF's — unknown token or inactive user 401."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_signs_its_user_in_with_one_query(annotator, project):
    token = Token.objects.create(user=annotator)
    with CaptureQueriesContext(connection) as queries:
        response = _client(token.key).get(f"/api/projects/{project.pk}/")
    assert response.status_code == 200 and response.json()["id"] == project.pk
    token_reads = [q["sql"] for q in queries.captured_queries if "authtoken_token" in q["sql"]]
    assert len(token_reads) == 1 and "auth_user" in token_reads[0]


def test_an_unknown_token_or_an_inactive_user_is_a_401(annotator, project):
    token = Token.objects.create(user=annotator)
    unknown = _client("0" * 40).get(f"/api/projects/{project.pk}/")
    assert unknown.status_code == 401 and unknown.json()["detail"] == "Invalid token."
    annotator.is_active = False
    annotator.save(update_fields=["is_active"])
    inactive = _client(token.key).get(f"/api/projects/{project.pk}/")
    assert inactive.status_code == 401 and inactive.json()["detail"] == "User inactive or deleted."
