"""The box write path's round trips, pinned: a create, move or delete of a box on a frame being worked on
costs a bounded number of queries through the API, transaction included: a create 7 (the frame read with
the caller's membership role, the label read, frame lock, the INSERT, its history event), a move or
delete 6 (the box read with the role, frame lock, one `UPDATE … WHERE version` that locks and writes
the box, its history event); a regression that adds a round trip to every save fails here."""

import pytest

CREATE_QUERIES = 7
CHANGE_QUERIES = 6  # update or delete: no separate SELECT … FOR UPDATE of the box


@pytest.fixture
def started(client_for, annotator, image, label):
    """The annotator's client on a frame already in progress (its first edit moved it from `new`)."""
    client = client_for(annotator)
    body = {"label": label.pk, "x_min": 1, "y_min": 1, "x_max": 50, "y_max": 50}
    assert client.post(f"/api/images/{image.pk}/boxes/", body, content_type="application/json").status_code == 201
    return client, body


def test_create_costs_at_most_7_queries_update_and_delete_6(started, image, django_assert_max_num_queries):
    client, body = started
    with django_assert_max_num_queries(CREATE_QUERIES):
        box = client.post(f"/api/images/{image.pk}/boxes/", body, content_type="application/json").json()
    with django_assert_max_num_queries(CHANGE_QUERIES):
        moved = client.patch(f"/api/boxes/{box['id']}/", {"x_min": 2, "version": box["version"]},
                             content_type="application/json")  # fmt: skip
    assert moved.status_code == 200 and moved.json()["version"] == 2
    with django_assert_max_num_queries(CHANGE_QUERIES):
        gone = client.delete(f"/api/boxes/{box['id']}/?version=2")
    assert gone.status_code in (200, 204)
