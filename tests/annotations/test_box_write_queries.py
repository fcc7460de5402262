"""The box write path's round trips, pinned: a create, move or delete of a box on a frame being worked
on costs at most 8 queries through the API, transaction included (access check, frame lock, the write,
its history event); a regression that adds a round trip to every save fails here."""

import pytest

MAX_QUERIES = 8


@pytest.fixture
def started(client_for, annotator, image, label):
    """The annotator's client on a frame already in progress (its first edit moved it from `new`)."""
    client = client_for(annotator)
    body = {"label": label.pk, "x_min": 1, "y_min": 1, "x_max": 50, "y_max": 50}
    assert client.post(f"/api/images/{image.pk}/boxes/", body, content_type="application/json").status_code == 201
    return client, body


def test_create_update_and_delete_each_cost_at_most_8_queries(started, image, django_assert_max_num_queries):
    client, body = started
    with django_assert_max_num_queries(MAX_QUERIES):
        box = client.post(f"/api/images/{image.pk}/boxes/", body, content_type="application/json").json()
    with django_assert_max_num_queries(MAX_QUERIES):
        moved = client.patch(f"/api/boxes/{box['id']}/", {"x_min": 2, "version": box["version"]},
                             content_type="application/json")  # fmt: skip
    assert moved.status_code == 200 and moved.json()["version"] == 2
    with django_assert_max_num_queries(MAX_QUERIES):
        gone = client.delete(f"/api/boxes/{box['id']}/?version=2")
    assert gone.status_code in (200, 204)
