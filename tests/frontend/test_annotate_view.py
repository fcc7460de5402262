"""The annotate page's view: login required, 404 outside the user's projects, ids handed to the
scripts through data attributes (no inline script), user strings escaped."""

import re

import pytest
from django.test import Client

from tests.factories import ImageFactory, ProjectFactory


@pytest.fixture
def browser_for():
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_the_login_page(image):
    response = Client().get(f"/images/{image.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/images/{image.pk}/"


def test_a_member_gets_the_page_with_the_frame_ids_and_no_inline_script(browser_for, annotator, image):
    response = browser_for(annotator).get(f"/images/{image.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    root = re.search(r'<div id="annotate"[^>]*>', html, re.S).group(0)
    assert f'data-image-id="{image.pk}"' in root and f'data-project-id="{image.project_id}"' in root
    assert 'data-width="640"' in root and 'data-height="480"' in root
    assert '<script type="module" src="/static/frontend/annotate.js"></script>' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "the CSP forbids inline script"
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_outsiders_and_missing_frames_get_the_same_404_page(browser_for, outsider, annotator, image):
    for user, image_id in ((outsider, image.pk), (annotator, image.pk + 1000)):
        response = browser_for(user).get(f"/images/{image_id}/")
        assert response.status_code == 404
        assert b'data-testid="not-found"' in response.content
    assert image.project.name.encode() not in browser_for(outsider).get(f"/images/{image.pk}/").content


def test_staff_see_every_frame(browser_for, staff, image):
    assert browser_for(staff).get(f"/images/{image.pk}/").status_code == 200


@pytest.mark.django_db
def test_a_project_name_like_html_is_escaped(browser_for, annotator):
    from tests.factories import MembershipFactory

    project = ProjectFactory(name="<script>alert(1)</script>")
    MembershipFactory(project=project, user=annotator)
    frame = ImageFactory(project=project)
    html = browser_for(annotator).get(f"/images/{frame.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_page_is_one_query_budget_whatever_the_boxes(browser_for, annotator, image, django_assert_max_num_queries):
    """The view renders no boxes itself (the page loads them through the API), so its cost is flat."""
    from tests.factories import BoxFactory

    BoxFactory.create_batch(30, image=image, label__project=image.project)
    client = browser_for(annotator)
    with django_assert_max_num_queries(12):
        assert client.get(f"/images/{image.pk}/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("creators,staff,offered", [("all", False, True), ("staff", False, False), ("staff", True, True)])
def test_the_new_project_action_follows_project_creators(client, settings, creators, staff, offered):
    from tests.factories import UserFactory

    settings.PROJECT_CREATORS = creators
    user = UserFactory(is_staff=staff)
    client.force_login(user)
    html = client.get("/").content.decode()
    assert f'data-can-create="{"true" if offered else "false"}"' in html
