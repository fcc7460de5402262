"""Optimistic locking, the approved-frame lock, and broadcasts only for committed writes."""

import threading

import pytest
from django.db import connection, transaction

from annotations.errors import Conflict, StaleVersion
from annotations.models import AnnotationEvent, Box, ImageStatus
from annotations.services.boxes import box_create, box_delete, box_update
from annotations.services.frames import ensure_frame_editable
from tests.factories import BoxFactory, ImageFactory, LabelFactory, MembershipFactory, UserFactory


def test_two_clients_patching_version_1_one_wins_the_other_gets_409_with_the_winner(
    client_for, annotator, reviewer, image, label
):
    box = BoxFactory(image=image, label=label)
    first = client_for(annotator).patch(f"/api/boxes/{box.pk}/", {"version": 1, "x_max": 40}, format="json")
    second = client_for(reviewer).patch(f"/api/boxes/{box.pk}/", {"version": 1, "x_max": 50}, format="json")
    assert first.status_code == 200
    assert second.status_code == 409
    current = second.json()["current"]
    assert current == first.json()
    assert current["x_max"] == 40 and current["version"] == 2 and current["updated_by"] == annotator.pk
    box.refresh_from_db()
    assert (box.x_max, box.version) == (40, 2)
    assert AnnotationEvent.objects.filter(box=box).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_threads_patching_the_same_version_exactly_one_wins(client_for):
    """Real concurrent transactions on PostgreSQL: the row lock serialises them, the version decides."""
    project_member = MembershipFactory()
    other = UserFactory()
    MembershipFactory(project=project_member.project, user=other)
    image = ImageFactory(project=project_member.project, width=640, height=480)
    label = LabelFactory(project=image.project)
    car = LabelFactory(project=image.project, name="car")
    boxes = [BoxFactory(image=image, label=label) for _ in range(4)]
    for box in boxes:
        barrier = threading.Barrier(2)
        results = {}

        def patch(user, change, box=box, barrier=barrier, results=results):
            try:
                client = client_for(user)
                barrier.wait(timeout=10)
                results[user.pk] = client.patch(f"/api/boxes/{box.pk}/", {"version": 1, **change}, format="json")
            finally:
                connection.close()

        threads = [
            threading.Thread(target=patch, args=(project_member.user, {"label": car.pk})),
            threading.Thread(target=patch, args=(other, {"x_max": 50})),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        codes = sorted(response.status_code for response in results.values())
        assert codes == [200, 409], {k: r.content for k, r in results.items()}
        winner = next(r.json() for r in results.values() if r.status_code == 200)
        loser = next(r.json() for r in results.values() if r.status_code == 409)
        # The loser sees the winner's box exactly, relations included (label name after a label change).
        assert loser["current"] == winner and winner["version"] == 2
        box.refresh_from_db()
        assert (box.version, box.label_id, box.x_max) == (2, winner["label"], winner["x_max"])
        assert AnnotationEvent.objects.filter(box=box).count() == 1


def test_a_stale_update_changes_nothing_and_broadcasts_nothing(
    annotator, image, label, sent, django_capture_on_commit_callbacks
):
    box = BoxFactory(image=image, label=label, version=3)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(StaleVersion) as raised:
        box_update(box=box, user=annotator, version=2, x_max=60)
    assert raised.value.current.version == 3
    box.refresh_from_db()
    assert box.x_max == 30 and not AnnotationEvent.objects.exists() and sent == []


def test_nothing_is_broadcast_for_a_rolled_back_write(
    annotator, image, label, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            box_create(image=image, user=annotator, label=label, x_min=1, y_min=1, x_max=9, y_max=9)
            raise RuntimeError("the caller's transaction fails after the box was written")
    assert callbacks == [] and sent == []
    assert not Box.objects.exists() and not AnnotationEvent.objects.exists()
    image.refresh_from_db()
    assert image.status == ImageStatus.NEW


def test_an_invalid_write_broadcasts_nothing(annotator, image, label, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception):
        box_create(image=image, user=annotator, label=label, x_min=1, y_min=1, x_max=9000, y_max=9)
    assert sent == [] and not Box.objects.exists()
    image.refresh_from_db()
    assert image.status == ImageStatus.NEW


@pytest.mark.django_db(transaction=True)
def test_committed_writes_reach_the_channel_layer_and_rolled_back_ones_do_not(settings):
    """End to end through the real in-memory layer: only the committed box is ever sent."""
    from asgiref.sync import async_to_sync
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.pop("default", None)
    try:
        layer = channel_layers["default"]
        member = MembershipFactory()
        image = ImageFactory(project=member.project, width=640, height=480)
        label = LabelFactory(project=image.project)
        channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(f"image.{image.pk}", channel)
        with pytest.raises(RuntimeError), transaction.atomic():
            box_create(image=image, user=member.user, label=label, x_min=1, y_min=1, x_max=5, y_max=5)
            raise RuntimeError("roll back")
        kept = box_create(image=image, user=member.user, label=label, x_min=2, y_min=2, x_max=6, y_max=6)
        received = [async_to_sync(layer.receive)(channel) for _ in range(2)]
        assert [m["type"] for m in received] == ["image.status", "box.created"]
        assert received[1]["box"]["id"] == kept.pk and received[1]["box"]["x_min"] == 2
        assert Box.objects.count() == 1
    finally:
        channel_layers.backends.pop("default", None)


@pytest.fixture
def approved(image):
    image.status = ImageStatus.APPROVED
    image.save(update_fields=["status"])
    return image


def test_annotators_cannot_change_an_approved_frame(client_for, annotator, approved, label):
    box = BoxFactory(image=approved, label=label)
    client = client_for(annotator)
    body = {"label": label.pk, "x_min": 1, "y_min": 1, "x_max": 5, "y_max": 5}
    responses = [
        client.post(f"/api/images/{approved.pk}/boxes/", body, format="json"),
        client.patch(f"/api/boxes/{box.pk}/", {"version": 1, "x_max": 6}, format="json"),
        client.delete(f"/api/boxes/{box.pk}/?version=1"),
    ]
    for response in responses:
        assert response.status_code == 409
        assert response.json()["detail"] == "This frame is approved and locked; ask a reviewer to reopen it."
    box.refresh_from_db()
    assert box.version == 1 and not box.deleted and Box.objects.count() == 1
    assert client.get(f"/api/images/{approved.pk}/boxes/").status_code == 200


def test_annotators_cannot_undo_or_redo_into_an_approved_frame(client_for, annotator, image, label):
    client = client_for(annotator)
    created = client.post(f"/api/images/{image.pk}/boxes/", {"label": label.pk, "x_min": 1, "y_min": 1, "x_max": 5,
                                                            "y_max": 5}, format="json").json()
    client.patch(f"/api/boxes/{created['id']}/", {"version": 1, "x_max": 9}, format="json")
    assert client.post(f"/api/images/{image.pk}/undo/").status_code == 200
    image.status = ImageStatus.APPROVED
    image.save(update_fields=["status"])
    assert client.post(f"/api/images/{image.pk}/undo/").status_code == 409
    assert client.post(f"/api/images/{image.pk}/redo/").status_code == 409
    assert Box.objects.get(pk=created["id"]).version == 3


@pytest.mark.parametrize("role", ["reviewer", "manager", "staff"])
def test_reviewers_managers_and_staff_may_still_edit_an_approved_frame(request, approved, label, role):
    user = request.getfixturevalue(role)
    box = box_create(image=approved, user=user, label=label, x_min=1, y_min=1, x_max=5, y_max=5)
    box = box_update(box=box, user=user, version=1, x_max=8)
    box_delete(box=box, user=user, version=2)
    ensure_frame_editable(image=approved, user=user)
    approved.refresh_from_db()
    assert approved.status == ImageStatus.APPROVED


def test_the_frame_lock_reads_the_status_fresh(annotator, image):
    stale_copy = type(image).objects.get(pk=image.pk)
    type(image).objects.filter(pk=image.pk).update(status=ImageStatus.APPROVED)
    with pytest.raises(Conflict):
        ensure_frame_editable(image=stale_copy, user=annotator)
