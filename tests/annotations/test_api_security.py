"""Security properties of the API: served bytes never turn into HTML, filters cannot traverse, CSP everywhere."""

import io
import re

import pytest
from django.contrib.staticfiles import finders
from rest_framework.test import APIClient

from annotations.models import Image
from tests.annotations.upload_helpers import fast_password_hasher, html_with_png_header, media_files  # noqa: F401
from tests.factories import ImageFactory, png_bytes

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def upload(client, project, name, data):
    stream = io.BytesIO(data)
    stream.name = name
    return client.post(f"/api/projects/{project.pk}/images/", {"file": [stream]}, format="multipart")


def test_html_behind_a_png_signature_is_refused_at_upload(client_for, manager, project, media_root):
    response = upload(client_for(manager), project, "page.png", html_with_png_header())
    assert response.status_code == 400 and "page.png" in response.json()["detail"]
    assert not Image.objects.exists() and media_files(media_root) == set()


def test_html_named_as_an_image_is_refused(client_for, manager, project):
    response = upload(client_for(manager), project, "photo.jpg", HTML)
    assert response.status_code == 400


def test_a_valid_png_carrying_html_is_served_as_png_never_as_html(client_for, manager, annotator, project):
    """A real polyglot (a decodable PNG with HTML after IEND) is an image to Pillow: it may be stored,
    but it goes out as image/png with nosniff and a sandboxing CSP, so no browser runs it as a page."""
    response = upload(client_for(manager), project, "poly.html", png_bytes(16, 16) + HTML)
    assert response.status_code == 201
    image_id = response.json()["images"][0]["id"]
    served = client_for(annotator).get(f"/api/images/{image_id}/file/")
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    assert served["Content-Disposition"] == f'inline; filename="frame-{image_id}.png"'  # never the uploaded name


@pytest.mark.parametrize(
    "query",
    [
        "created_by__password__startswith=pbkdf2",
        "project__created_by__password__startswith=x",
        "uploaded_by__password__startswith=pbkdf2",
        "project__memberships__user__username=nobody",
        "sha256__startswith=zzz",
        "ordering=-uploaded_by__password",
    ],
)
def test_undeclared_filters_on_frames_are_ignored(client_for, manager, project, query):
    """Only declared filters exist: anything else cannot narrow the list, so it cannot probe other tables."""
    frames = [ImageFactory(project=project, uploaded_by=manager) for _ in range(3)]
    client = client_for(manager)
    plain = client.get(f"/api/projects/{project.pk}/images/").json()["results"]
    probed = client.get(f"/api/projects/{project.pk}/images/?{query}")
    assert probed.status_code == 200
    assert [i["id"] for i in probed.json()["results"]] == [i["id"] for i in plain] == [f.pk for f in frames]


@pytest.mark.parametrize(
    "query", ["created_by__password__startswith=pbkdf2", "members__password__startswith=x", "memberships__role=manager"]
)
def test_undeclared_filters_on_projects_are_ignored(client_for, staff, project, manager, query):
    project.created_by = manager
    project.save()
    client = client_for(staff)
    assert client.get(f"/api/projects/?{query}").json()["count"] == client.get("/api/projects/").json()["count"] == 1
    assert client.get(f"/api/projects/?{query}&name=zzz").json()["count"] == 0  # declared filters still apply


def test_api_json_responses_carry_nosniff(client_for, annotator, project):
    response = client_for(annotator).get(f"/api/projects/{project.pk}/")
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"


def _csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.django_db
@pytest.mark.parametrize("secure,origin", [(False, "ws://testserver"), (True, "wss://testserver")])
def test_csp_connect_src_names_the_sites_own_websocket_origin_only(secure, origin, settings):
    settings.SECURE_SSL_REDIRECT = False
    response = APIClient().get("/accounts/login/", secure=secure)
    assert _csp(response)["connect-src"].split()[1:] == ["'self'", origin]


@pytest.mark.django_db
def test_csp_on_an_html_page_forbids_inline_script():
    response = APIClient().get("/accounts/login/")
    assert response.status_code == 200
    policy = _csp(response)
    assert "'self'" in policy["script-src"] and "unsafe-inline" not in policy["script-src"]
    assert policy["object-src"] == "object-src 'none'"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_api_docs_render_under_the_csp_with_no_inline_script():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    policy = _csp(response)
    assert "unsafe-inline" not in policy["script-src"]
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    # the split view's own script is served by the docs view; the Swagger UI files ship with the sidecar
    for src in re.findall(r'<script src="([^"]+)"', html):
        if src.startswith("/static/"):
            assert finders.find(src.removeprefix("/static/")), src
        else:
            assert APIClient().get(src).status_code == 200


@pytest.mark.django_db
def test_the_schema_generates_with_every_route_of_this_area():
    response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for route in (
        "/api/auth/token/",
        "/api/projects/",
        "/api/projects/{id}/",
        "/api/projects/{project_id}/members/",
        "/api/projects/{project_id}/members/{user_id}/",
        "/api/projects/{project_id}/labels/",
        "/api/labels/{id}/",
        "/api/projects/{project_id}/images/",
        "/api/images/{id}/",
        "/api/images/{id}/file/",
    ):
        assert route in paths, route
    upload_body = paths["/api/projects/{project_id}/images/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload_body


def test_the_schema_of_this_area_has_no_warnings_or_errors():
    """Generated for the projects/labels/images routes alone, so another area's warning cannot hide here."""
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    from annotations.api import invites, projects

    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/", include(projects.urlpatterns + invites.urlpatterns))])
    schema = generator.get_schema(request=None, public=True)
    assert len(schema["paths"]) == 18  # incl. labels/order, coco, the four chunked-upload routes and invites
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._warn_cache)
