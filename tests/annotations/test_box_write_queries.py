"""The box write path's round trips, pinned: a create, move, relabel or delete of a box on a frame being
worked on costs 4 queries through the API, transaction included (annotations/services/box_sql.py):
the savepoint (a transaction of its own outside the tests), one read that locks the frame and brings
the box or frame with the caller's membership role and the label asked for, one statement that
writes the box and inserts its history event (`WITH written AS (UPDATE … WHERE version …) INSERT …`),
and the release. An Idempotency-Key costs no query more, and its replay only the read of the box
it made. A regression that adds a round trip to every save fails here."""

import pytest

from annotations.models import AnnotationEvent, Box
from tests.factories import LabelFactory

WRITE_QUERIES = 4  # create, update (move or relabel) and delete alike
REPLAY_QUERIES = 4  # savepoint, the locked read that finds the key, the box the key made, release


@pytest.fixture
def started(client_for, annotator, image, label):
    """The annotator's client on a frame already in progress (its first edit moved it from `new`)."""
    client = client_for(annotator)
    body = {"label": label.pk, "x_min": 1, "y_min": 1, "x_max": 50, "y_max": 50}
    assert client.post(f"/api/images/{image.pk}/boxes/", body, content_type="application/json").status_code == 201
    return client, body


def test_create_update_and_delete_cost_4_queries_each(started, image, django_assert_max_num_queries):
    client, body = started
    with django_assert_max_num_queries(WRITE_QUERIES):
        box = client.post(f"/api/images/{image.pk}/boxes/", body, content_type="application/json").json()
    with django_assert_max_num_queries(WRITE_QUERIES):
        moved = client.patch(f"/api/boxes/{box['id']}/", {"x_min": 2, "version": box["version"]},
                             content_type="application/json")  # fmt: skip
    assert moved.status_code == 200 and moved.json()["version"] == 2
    with django_assert_max_num_queries(WRITE_QUERIES):
        gone = client.delete(f"/api/boxes/{box['id']}/?version=2")
    assert gone.status_code == 200 and gone.json()["deleted"] is True
    # Each write recorded its event, the create's naming the box it made.
    events = list(AnnotationEvent.objects.filter(box_id=box["id"]).order_by("id").values_list("action", "after"))
    assert [action for action, _ in events] == ["create", "update", "delete"]
    assert events[0][1]["id"] == box["id"] and events[2][1]["deleted"] is True


def test_a_relabel_reads_the_new_label_in_the_locking_read(started, image, project, django_assert_max_num_queries):
    client, body = started
    box = client.post(f"/api/images/{image.pk}/boxes/", body, content_type="application/json").json()
    car = LabelFactory(project=project, name="car", color="#00ff00")
    with django_assert_max_num_queries(WRITE_QUERIES):
        relabelled = client.patch(f"/api/boxes/{box['id']}/", {"label": car.pk, "version": 1},
                                  content_type="application/json")  # fmt: skip
    assert relabelled.status_code == 200
    assert (relabelled.json()["label"], relabelled.json()["label_name"], relabelled.json()["label_color"]) == (
        car.pk, "car", "#00ff00")  # fmt: skip
    assert Box.objects.get(pk=box["id"]).label_id == car.pk


def test_an_idempotent_create_and_its_replay(started, image, django_assert_max_num_queries):
    client, body = started
    with django_assert_max_num_queries(WRITE_QUERIES):
        made = client.post(f"/api/images/{image.pk}/boxes/", body, content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY="one-create")  # fmt: skip
    with django_assert_max_num_queries(REPLAY_QUERIES):
        again = client.post(f"/api/images/{image.pk}/boxes/", body, content_type="application/json",
                            HTTP_IDEMPOTENCY_KEY="one-create")  # fmt: skip
    assert (made.status_code, again.status_code) == (201, 200) and again.json() == made.json()
    assert Box.objects.filter(image=image, client_key="one-create").count() == 1
