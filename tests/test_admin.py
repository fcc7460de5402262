"""The admin is where operators run the platform: every model has a working page."""

import pytest
from django.urls import reverse

from annotations.models import AnnotationEvent, Box, DatasetVersion, Image, Label, Membership, Project
from annotations.models import FrameFeedback
from feedback.models import AnnotationSession
from tracking.models import TrackingOutbox
from inference.models import DetectionJob, Prediction
from tests.factories import BoxFactory, UserFactory

MODELS = [
    Project, Membership, Label, Image, Box, AnnotationEvent, DatasetVersion,
    DetectionJob, Prediction, FrameFeedback, AnnotationSession, TrackingOutbox,
]


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_has_a_changelist_with_search(admin_client, model, image):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "x"}).status_code == 200


def test_image_page_draws_its_boxes_over_a_thumbnail(admin_client, image, label):
    BoxFactory(image=image, label=label, x_min=10, y_min=20, x_max=330, y_max=260)
    BoxFactory(image=image, label=label, x_min=0, y_min=0, x_max=5, y_max=5, deleted=True)
    response = admin_client.get(reverse("admin:annotations_image_change", args=[image.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="/api/images/{image.pk}/file/?thumb=256"' in html
    # 480 px wide preview of a 640 px frame: scale 0.75; the deleted box is not drawn.
    assert '<rect x="7.5" y="15.0" width="240.0" height="180.0"' in html
    assert html.count("<rect ") == 1


def test_label_names_are_escaped_in_the_preview(admin_client, image, project):
    label = Label.objects.create(project=project, name="<script>alert(1)</script>")
    BoxFactory(image=image, label=label)
    html = admin_client.get(reverse("admin:annotations_image_change", args=[image.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_project_page_has_membership_and_label_inlines(admin_client, project, annotator):
    html = admin_client.get(reverse("admin:annotations_project_change", args=[project.pk])).content.decode()
    assert "memberships-TOTAL_FORMS" in html
    assert "labels-TOTAL_FORMS" in html


def test_history_cannot_be_edited_from_the_admin(admin_client, image, annotator):
    event = AnnotationEvent.objects.create(image=image, user=annotator, action="create", after={"x_min": 1})
    url = reverse("admin:annotations_annotationevent_change", args=[event.pk])
    response = admin_client.post(url, {"action": "delete"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.action == "create"


def test_non_staff_users_are_sent_to_the_admin_login(client, annotator):
    client.force_login(annotator)
    response = client.get(reverse("admin:annotations_box_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
