"""`POST /api/projects/{id}/next/` reserves: fresh frames first, then disagreement; viewed and reserved frames
skipped. `GET` answers the same and reserves nothing."""

import threading
import uuid

import pytest
from django.db import connections

from annotations.services import presence
from feedback.queue import next_frame_reserve, queue_for_project
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def fresh_reservations(settings):
    """The real cache (Redis when REDIS_URL is set) under a key prefix of this test's own."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


@pytest.fixture
def queue_world(rows, label, annotator):
    """Frames by what they need, every frame 640x480:
    f0 approved (done: never offered); f1 pre-annotated, evaluated, agrees perfectly (0);
    f2 new and untouched; f3 pre-annotated and evaluated, one false positive + one missed box (2);
    f4 evaluated (a box) but never pre-annotated; f5 pre-annotated, evaluated, loose match
    ([0,0,100,100] vs [0,0,100,125]: IoU 0.8 -> 0.2); f6 submitted (done)."""
    f = rows.frames(7)
    statuses = {0: "approved", 6: "submitted", 1: "in_progress", 3: "in_progress", 5: "rejected"}
    for i, status in statuses.items():
        f[i].status = status
        f[i].save(update_fields=["status"])
    for frame, pred_box, human_box in ((f[1], (0, 0, 50, 50), (0, 0, 50, 50)),
                                       (f[3], (300, 300, 400, 400), (0, 0, 50, 50)),
                                       (f[5], (0, 0, 100, 100), (0, 0, 100, 125))):
        job = rows.job(frame, ["person"])
        rows.pred(job, label, pred_box)
        rows.box(frame, label, human_box)
    rows.box(f[4], label, (5, 5, 25, 25))
    return f


def test_queue_order_fresh_frames_then_most_disagreement(queue_world, project):
    f = queue_world
    order = [(item["id"], item["reason"], item["disagreement"]) for item in queue_for_project(project_id=project.pk)]
    assert order == [
        (f[2].pk, "not_evaluated", None),
        (f[4].pk, "not_pre_annotated", None),
        (f[3].pk, "disagreement", 2.0),
        (f[5].pk, "disagreement", 0.2),
        (f[1].pk, "disagreement", 0.0),
    ]


def test_next_returns_the_first_frame_and_the_same_one_again(queue_world, project, annotator, client_for):
    client = client_for(annotator)
    first = client.post(f"/api/projects/{project.pk}/next/")
    assert first.status_code == 200
    body = first.json()
    assert body["image"]["id"] == queue_world[2].pk and body["reason"] == "not_evaluated"
    assert body["url"] == f"/images/{queue_world[2].pk}/" and body["reserved_seconds"] == 120
    assert body["image"]["previous"] == queue_world[1].pk and body["image"]["next"] == queue_world[3].pk
    assert client.post(f"/api/projects/{project.pk}/next/").json()["image"]["id"] == queue_world[2].pk


def test_two_users_get_different_frames(queue_world, project, annotator, reviewer, client_for):
    a = client_for(annotator).post(f"/api/projects/{project.pk}/next/").json()
    b = client_for(reviewer).post(f"/api/projects/{project.pk}/next/").json()
    assert (a["image"]["id"], b["image"]["id"]) == (queue_world[2].pk, queue_world[4].pk)


@pytest.mark.django_db(transaction=True)
def test_users_asking_at_the_same_moment_never_share_a_frame(rows, label):
    project = rows.project
    frames = rows.frames(2)
    users = [UserFactory(username=f"racer{i}") for i in range(4)]
    for user in users:
        MembershipFactory(project=project, user=user)
    barrier, got, errors = threading.Barrier(len(users)), {}, []

    def ask(user):
        try:
            barrier.wait()
            item = next_frame_reserve(project_id=project.pk, user=user)
            got[user.pk] = item["id"] if item else None
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    taken = [pk for pk in got.values() if pk is not None]
    # Two frames, four users: each frame goes to exactly one user, the other two get nothing.
    assert sorted(taken) == sorted(f.pk for f in frames)
    assert list(got.values()).count(None) == 2


def test_a_frame_someone_else_views_is_skipped(queue_world, project, annotator, reviewer, client_for):
    presence.presence_clear()
    try:
        presence.presence_join(project_id=project.pk, image_id=queue_world[2].pk, user=reviewer, channel_name="c1")
        body = client_for(annotator).post(f"/api/projects/{project.pk}/next/").json()
        assert body["image"]["id"] == queue_world[4].pk
        # The viewer's own frame is not skipped for the viewer.
        assert client_for(reviewer).post(f"/api/projects/{project.pk}/next/").json()["image"]["id"] == queue_world[2].pk
    finally:
        presence.presence_clear()


def test_a_finished_frame_is_not_returned_again(queue_world, project, annotator, client_for):
    client = client_for(annotator)
    assert client.post(f"/api/projects/{project.pk}/next/").json()["image"]["id"] == queue_world[2].pk
    queue_world[2].status = "submitted"
    queue_world[2].save(update_fields=["status"])
    assert client.post(f"/api/projects/{project.pk}/next/").json()["image"]["id"] == queue_world[4].pk


def test_nothing_left_to_do_is_a_null_image(rows, project, annotator, client_for):
    rows.frames(1, status="approved")
    body = client_for(annotator).post(f"/api/projects/{project.pk}/next/").json()
    assert body["image"] is None and body["reason"] == "nothing_to_do"


def test_asking_without_reserving_hands_the_same_frame_to_everyone(queue_world, project, annotator, reviewer,
                                                                    client_for):
    """GET is a pure read: it names the frame a POST would reserve, and reserves nothing."""
    a = client_for(annotator).get(f"/api/projects/{project.pk}/next/").json()
    b = client_for(reviewer).get(f"/api/projects/{project.pk}/next/").json()
    assert a["image"]["id"] == b["image"]["id"] == queue_world[2].pk and a["reserved_seconds"] == 0
    reserved = client_for(reviewer).post(f"/api/projects/{project.pk}/next/").json()
    assert reserved["image"]["id"] == queue_world[2].pk and reserved["reserved_seconds"] == 120
    # Now held by the reviewer: the annotator is shown (and would get) the next free frame.
    assert client_for(annotator).get(f"/api/projects/{project.pk}/next/").json()["image"]["id"] == queue_world[4].pk
    assert client_for(reviewer).get(f"/api/projects/{project.pk}/next/").json()["image"]["id"] == queue_world[2].pk


@pytest.mark.parametrize("method", ["get", "post"])
def test_next_is_for_members_only(project, outsider, client_for, method):
    assert getattr(client_for(outsider), method)(f"/api/projects/{project.pk}/next/").status_code == 404
    assert getattr(client_for(None), method)(f"/api/projects/{project.pk}/next/").status_code == 401
    assert getattr(client_for(outsider), method)("/api/projects/999999/next/").status_code == 404


def test_next_runs_a_bounded_number_of_queries(rows, label, project, annotator, client_for,
                                               django_assert_max_num_queries):
    frames = rows.frames(60, status="in_progress")
    for frame in frames:
        job = rows.job(frame, ["person"])
        rows.pred(job, label, (0, 0, 10, 10))
    with django_assert_max_num_queries(16):
        assert client_for(annotator).post(f"/api/projects/{project.pk}/next/").status_code == 200
    with django_assert_max_num_queries(16):
        assert client_for(annotator).get(f"/api/projects/{project.pk}/next/").status_code == 200
