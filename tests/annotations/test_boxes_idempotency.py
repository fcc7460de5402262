"""A create sent twice (its first answer lost) makes one box: the Idempotency-Key header."""

import threading
import uuid

import pytest
from django.db import connection

from annotations.models import AnnotationEvent, Box
from tests.factories import ImageFactory, LabelFactory, MembershipFactory

BODY = {"x_min": 10, "y_min": 20, "x_max": 110, "y_max": 220}


def create(client, image, label, key, **extra):
    return client.post(
        f"/api/images/{image.pk}/boxes/", {"label": label.pk, **BODY, **extra}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_the_same_key_twice_makes_one_box_one_event_one_broadcast(
    client_for, annotator, image, label, sent, django_capture_on_commit_callbacks
):
    client, key = client_for(annotator), str(uuid.uuid4())
    with django_capture_on_commit_callbacks(execute=True):
        first = create(client, image, label, key)
        again = create(client, image, label, key)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Box.objects.filter(image=image).count() == 1
    assert AnnotationEvent.objects.filter(image=image).count() == 1
    assert [kind for _, kind, _ in sent].count("box.created") == 1


def test_a_replay_after_an_edit_answers_the_box_as_it_is_now(client_for, annotator, image, label):
    client, key = client_for(annotator), "retry-1"
    box = create(client, image, label, key).json()
    moved = client.patch(f"/api/boxes/{box['id']}/", {"x_min": 30, "version": 1}, format="json").json()
    replay = create(client, image, label, key)
    assert replay.status_code == 200
    assert (replay.json()["version"], replay.json()["x_min"]) == (2, 30) == (moved["version"], moved["x_min"])


def test_keys_are_per_frame_and_different_keys_make_different_boxes(client_for, annotator, image, label):
    client = client_for(annotator)
    other_frame = ImageFactory(project=image.project, width=640, height=480)
    assert create(client, image, label, "k1").status_code == 201
    assert create(client, image, label, "k2").status_code == 201
    assert create(client, other_frame, label, "k1").status_code == 201
    assert Box.objects.filter(image=image).count() == 2 and Box.objects.filter(image=other_frame).count() == 1


@pytest.mark.parametrize("key", ["", "x" * 65, "has space", "é", "../x"])
def test_a_malformed_key_is_a_400_naming_the_header_and_creates_nothing(client_for, annotator, image, label, key):
    response = create(client_for(annotator), image, label, key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not Box.objects.exists()


def test_an_invalid_box_with_a_key_is_still_a_400_and_the_key_stays_free(client_for, annotator, image, label):
    client = client_for(annotator)
    assert create(client, image, label, "k", x_max=5).status_code == 400  # x_max < x_min
    assert create(client, image, label, "k").status_code == 201


@pytest.mark.django_db(transaction=True)
def test_two_copies_racing_make_one_box(client_for):
    member = MembershipFactory()
    image = ImageFactory(project=member.project, width=640, height=480)
    label = LabelFactory(project=image.project)
    barrier, results = threading.Barrier(2), []

    def send():
        try:
            client = client_for(member.user)
            barrier.wait(timeout=10)
            results.append(create(client, image, label, "same-key"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(r.status_code for r in results) == [200, 201], [r.content for r in results]
    assert results[0].json()["id"] == results[1].json()["id"]
    assert Box.objects.filter(image=image).count() == 1
    assert AnnotationEvent.objects.filter(image=image).count() == 1
