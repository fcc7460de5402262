"""Boxes over REST: the DESIGN.md shape, create/list/patch/delete, who may do it, bounded queries."""

import pytest

from annotations.models import AnnotationEvent, Box, ImageStatus
from tests.factories import BoxFactory, ImageFactory, LabelFactory


BOX_FIELDS = {
    "id", "image", "label", "x_min", "y_min", "x_max", "y_max", "source", "prediction",
    "version", "created_by", "updated_by", "updated_at",
}  # fmt: skip


def new_box(client, image, label, **coords):
    body = {"label": label.pk, "x_min": 10, "y_min": 20, "x_max": 110, "y_max": 220, **coords}
    return client.post(f"/api/images/{image.pk}/boxes/", body, format="json")


def test_create_returns_the_design_shape_with_version_1(client_for, annotator, image, label):
    response = new_box(client_for(annotator), image, label)
    assert response.status_code == 201, response.data
    body = response.json()
    assert BOX_FIELDS <= set(body)
    assert body["version"] == 1 and body["source"] == "human" and body["prediction"] is None
    assert (body["x_min"], body["y_min"], body["x_max"], body["y_max"]) == (10, 20, 110, 220)
    assert body["created_by"] == annotator.pk and body["updated_by"] == annotator.pk
    assert body["label_name"] == "person" and body["deleted"] is False
    event = AnnotationEvent.objects.get(box_id=body["id"])
    assert event.action == "create" and event.before is None and event.after["version"] == 1


def test_create_broadcasts_after_commit_and_starts_the_frame(
    client_for, annotator, image, label, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        body = new_box(client_for(annotator), image, label).json()
    types = [(group, kind) for group, kind, _ in sent]
    # The frame's viewers and the project page both learn that the frame is now in progress.
    assert types == [
        (f"image.{image.pk}", "image.status"),
        (f"project.{image.project_id}", "image.status"),
        (f"project.{image.project_id}", "project.progress"),
        (f"image.{image.pk}", "box.created"),
    ]
    assert sent[0][2]["status"] == sent[1][2]["status"] == "in_progress"
    assert sent[2][2]["counts"]["in_progress"] == 1
    assert sent[3][2]["box"] == body
    assert sent[3][2]["user"] == {"id": annotator.pk, "username": annotator.username}
    image.refresh_from_db()
    assert image.status == ImageStatus.IN_PROGRESS


def test_only_the_first_edit_moves_the_frame_status(
    client_for, annotator, image, label, sent, django_capture_on_commit_callbacks
):
    client = client_for(annotator)
    new_box(client, image, label)
    with django_capture_on_commit_callbacks(execute=True):
        new_box(client, image, label)
    assert [kind for _, kind, _ in sent] == ["box.created"]


def test_patch_with_current_version_changes_and_bumps_it(
    client_for, annotator, image, label, sent, django_capture_on_commit_callbacks
):
    client = client_for(annotator)
    box = new_box(client, image, label).json()
    other = LabelFactory(project=image.project, name="car")
    with django_capture_on_commit_callbacks(execute=True):
        change = {"version": 1, "x_max": 300, "label": other.pk}
        response = client.patch(f"/api/boxes/{box['id']}/", change, format="json")
    assert response.status_code == 200, response.data
    assert response.json()["version"] == 2 and response.json()["x_max"] == 300 and response.json()["label"] == other.pk
    assert [kind for _, kind, _ in sent] == ["box.updated"]
    event = AnnotationEvent.objects.filter(box_id=box["id"]).latest("id")
    assert event.action == "update"
    assert event.before["x_max"] == 110 and event.before["label"] == label.pk and event.before["version"] == 1
    assert event.after["x_max"] == 300 and event.after["label"] == other.pk and event.after["version"] == 2


def test_patch_that_changes_nothing_keeps_the_version(client_for, annotator, image, label):
    client = client_for(annotator)
    box = new_box(client, image, label).json()
    response = client.patch(f"/api/boxes/{box['id']}/", {"version": 1, "x_min": 10}, format="json")
    assert response.status_code == 200 and response.json()["version"] == 1
    assert AnnotationEvent.objects.filter(box_id=box["id"]).count() == 1


def test_delete_is_soft_and_takes_the_version_from_query_or_body(client_for, annotator, image, label):
    client = client_for(annotator)
    first, second = new_box(client, image, label).json(), new_box(client, image, label).json()
    response = client.delete(f"/api/boxes/{first['id']}/?version=1")
    assert response.status_code == 200 and response.json()["deleted"] is True and response.json()["version"] == 2
    assert client.delete(f"/api/boxes/{second['id']}/", {"version": 1}, format="json").status_code == 200
    assert Box.objects.filter(image=image, deleted=True).count() == 2
    assert client.get(f"/api/images/{image.pk}/boxes/").json()["count"] == 0
    assert client.get(f"/api/boxes/{first['id']}/").status_code == 404


def test_stale_delete_is_refused_with_the_current_box(client_for, annotator, image, label):
    client = client_for(annotator)
    box = new_box(client, image, label).json()
    client.patch(f"/api/boxes/{box['id']}/", {"version": 1, "x_min": 0}, format="json")
    response = client.delete(f"/api/boxes/{box['id']}/?version=1")
    assert response.status_code == 409
    assert response.json()["current"]["version"] == 2 and response.json()["current"]["x_min"] == 0
    assert not Box.objects.get(pk=box["id"]).deleted


def test_list_is_paginated_in_id_order(client_for, annotator, image, label):
    boxes = [BoxFactory(image=image, label=label) for _ in range(5)]
    BoxFactory(image=image, label=label, deleted=True)
    BoxFactory(image=ImageFactory(project=image.project), label=label)
    response = client_for(annotator).get(f"/api/images/{image.pk}/boxes/?page_size=2")
    body = response.json()
    assert body["count"] == 5 and [b["id"] for b in body["results"]] == [b.pk for b in boxes[:2]]
    assert body["next"] is not None


def test_list_of_1000_boxes_takes_a_bounded_number_of_queries(
    client_for, annotator, image, label, django_assert_max_num_queries
):
    Box.objects.bulk_create(
        Box(image=image, label=label, x_min=i % 600, y_min=1, x_max=i % 600 + 5, y_max=9, created_by=annotator)
        for i in range(1000)
    )
    client = client_for(annotator)
    with django_assert_max_num_queries(6):
        response = client.get(f"/api/images/{image.pk}/boxes/?page_size=1000")
    assert len(response.json()["results"]) == 1000
    assert response.json()["results"][0]["created_by_username"] == annotator.username


@pytest.mark.parametrize("role", ["annotator", "reviewer", "manager", "staff"])
def test_every_member_role_and_staff_may_edit_boxes(request, client_for, image, label, role):
    client = client_for(request.getfixturevalue(role))
    box = new_box(client, image, label).json()
    assert client.get(f"/api/images/{image.pk}/boxes/").status_code == 200
    assert client.patch(f"/api/boxes/{box['id']}/", {"version": 1, "y_min": 0}, format="json").status_code == 200
    assert client.delete(f"/api/boxes/{box['id']}/?version=2").status_code == 200
    assert client.post(f"/api/images/{image.pk}/undo/").status_code == 200
    assert client.post(f"/api/images/{image.pk}/redo/").status_code == 200
    assert client.get(f"/api/images/{image.pk}/history/").status_code == 200


def _endpoints(image, box):
    return [
        ("get", f"/api/images/{image.pk}/boxes/", None),
        ("post", f"/api/images/{image.pk}/boxes/",
         {"label": box.label_id, "x_min": 1, "y_min": 1, "x_max": 5, "y_max": 5}),
        ("get", f"/api/boxes/{box.pk}/", None),
        ("patch", f"/api/boxes/{box.pk}/", {"version": 1, "x_min": 0}),
        ("delete", f"/api/boxes/{box.pk}/?version=1", None),
        ("post", f"/api/images/{image.pk}/undo/", None),
        ("post", f"/api/images/{image.pk}/redo/", None),
        ("get", f"/api/images/{image.pk}/history/", None),
    ]


@pytest.mark.parametrize("index", range(8))
def test_outsiders_get_404_and_anonymous_401_on_every_box_endpoint(client_for, outsider, image, label, index):
    box = BoxFactory(image=image, label=label)
    method, url, body = _endpoints(image, box)[index]
    for user, expected in ((outsider, 404), (None, 401)):
        response = getattr(client_for(user), method)(url, body, format="json")
        assert response.status_code == expected, (user, response.content)
        assert "detail" in response.json()
    box.refresh_from_db()
    assert box.version == 1 and not box.deleted
    assert Box.objects.count() == 1 and not AnnotationEvent.objects.exists()


def test_unknown_ids_are_404(client_for, annotator, image):
    client = client_for(annotator)
    assert client.get("/api/images/999999/boxes/").status_code == 404
    assert client.patch("/api/boxes/999999/", {"version": 1}, format="json").status_code == 404
    assert client.get(f"/api/boxes/{2**70}/").status_code == 404
    assert client.post(f"/api/images/{2**70}/undo/").status_code == 404
