"""Copy forward: boxes of a frame onto the next one as members of the same tracks, one undo step, live."""

import pytest

from annotations.models import Box, Track
from annotations.services.boxes import box_create
from annotations.services.history import history_undo
from annotations.services.interpolation import interpolation_run
from annotations.services.tracks import track_create
from tests.annotations.track_helpers import make_clip

pytestmark = pytest.mark.django_db


@pytest.fixture
def clip(project):
    return make_clip(project, 4)


def _draw(frame, user, label, x, track=None):
    return box_create(image=frame, user=user, label=label, track=track, x_min=x, y_min=10, x_max=x + 30, y_max=40)


def test_copying_all_boxes_puts_them_on_the_next_frame_in_tracks(client_for, annotator, label, clip):
    _, frames = clip
    loose = _draw(frames[0], annotator, label, 10)
    track = track_create(project=frames[0].project, user=annotator, label=label)
    tracked = _draw(frames[0], annotator, label, 100, track=track)
    response = client_for(annotator).post(f"/api/images/{frames[0].pk}/copy-forward/", {"boxes": "all"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["image"] == frames[1].pk
    loose.refresh_from_db()
    assert loose.track_id is not None and loose.keyframe  # the box without a track got one
    copies = {box["track"]: box for box in body["boxes"]}
    assert set(copies) == {loose.track_id, tracked.track_id}
    assert all(box["image"] == frames[1].pk and box["keyframe"] and box["source"] == "human" for box in body["boxes"])
    assert (copies[tracked.track_id]["x_min"], copies[tracked.track_id]["x_max"]) == (100, 130)
    assert Track.objects.get(pk=loose.track_id).number == 2


def test_a_box_already_there_for_the_track_is_moved_not_doubled(client_for, annotator, label, clip):
    _, frames = clip
    track = track_create(project=frames[0].project, user=annotator, label=label)
    source = _draw(frames[0], annotator, label, 10, track=track)
    there = _draw(frames[1], annotator, label, 200, track=track)
    response = client_for(annotator).post(f"/api/images/{frames[0].pk}/copy-forward/", {"boxes": [source.pk]}, format="json")
    assert response.status_code == 201
    assert [box["id"] for box in response.json()["boxes"]] == [there.pk]
    there.refresh_from_db()
    assert (there.x_min, there.version) == (10, 2)
    assert Box.objects.filter(image=frames[1], deleted=False).count() == 1


def test_copy_forward_and_its_track_are_one_undo_step_on_the_frame_acted_on(annotator, label, clip):
    from annotations.services.copy_forward import boxes_copy_forward

    _, frames = clip
    loose = _draw(frames[0], annotator, label, 10)
    target, copies = boxes_copy_forward(image=frames[0], user=annotator, boxes="all")
    history_undo(image=frames[0], user=annotator)
    loose.refresh_from_db()
    assert loose.track_id is None and not Box.objects.filter(image=target, deleted=False).exists()


def test_refused_copies_change_nothing(client_for, annotator, label, clip):
    _, frames = clip
    api = client_for(annotator)
    box = _draw(frames[0], annotator, label, 10)
    elsewhere = _draw(frames[2], annotator, label, 10)
    last = _draw(frames[3], annotator, label, 10)
    for body in ({"boxes": []}, {"boxes": "some"}, {"boxes": [elsewhere.pk]}, {"boxes": [True]}, {}, {"boxes": [2**70]}):
        assert api.post(f"/api/images/{frames[0].pk}/copy-forward/", body, format="json").status_code == 400, body
    assert api.post(f"/api/images/{frames[3].pk}/copy-forward/", {"boxes": [last.pk]}, format="json").status_code == 400
    assert Box.objects.filter(deleted=False).count() == 3 and not Track.objects.exists()
    box.refresh_from_db()
    assert box.version == 1


def test_copy_forward_before_a_300_frame_gap_is_one_undo(annotator, label, project):
    from annotations.services.copy_forward import boxes_copy_forward

    sequence, frames = make_clip(project, 302)
    track = track_create(project=project, user=annotator, label=label, sequence=sequence)
    for frame, x in ((frames[0], 0), (frames[301], 300)):
        Box.objects.create(image=frame, label=label, track=track, x_min=x, y_min=0, x_max=x + 10, y_max=10)
    interpolation_run(track=track, user=annotator)
    first = Box.objects.get(image=frames[0])
    Box.objects.filter(pk=first.pk).update(y_min=5, y_max=15)  # the person moved it (outside the API)
    boxes_copy_forward(image=frames[0], user=annotator, boxes="all")
    live = Box.objects.filter(track=track, deleted=False)
    assert live.get(image=frames[1]).keyframe and live.get(image=frames[150]).y_min > 0
    history_undo(image=frames[0], user=annotator)
    assert not live.filter(keyframe=True, image=frames[1]).exists()
    assert set(live.exclude(image__in=[frames[0], frames[301]]).values_list("y_min", flat=True)) == {0}


def test_every_copied_box_and_the_new_track_reach_other_users_live(
    annotator, label, clip, sent, django_capture_on_commit_callbacks
):
    from annotations.services.copy_forward import boxes_copy_forward

    _, frames = clip
    _draw(frames[0], annotator, label, 10)
    with django_capture_on_commit_callbacks(execute=True):
        target, copies = boxes_copy_forward(image=frames[0], user=annotator, boxes="all")
    kinds = [(group, kind) for group, kind, _ in sent]
    assert (f"image.{target.pk}", "box.created") in kinds
    assert (f"project.{target.project_id}", "track.created") in kinds
    assert (f"project.{target.project_id}", "track.updated") in kinds
    created = next(payload for group, kind, payload in sent if kind == "box.created")
    assert created["box"]["id"] == copies[0].pk and created["action"] == "copy-forward"
