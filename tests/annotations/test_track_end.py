"""Ending a track at a frame: the object left the view; one call, one undo step, nothing lost."""

import pytest

from annotations.models import Box, BoxSource, Track
from annotations.services.boxes import box_create
from annotations.services.history import history_undo
from annotations.services.tracks import track_create
from tests.annotations.track_helpers import make_clip

pytestmark = pytest.mark.django_db


def _keyframe(frame, track, user, x):
    return box_create(image=frame, user=user, label=track.label, track=track, x_min=x, y_min=10, x_max=x + 20, y_max=30)


def _frames_of(track):
    return sorted(Box.objects.filter(track=track, deleted=False).values_list("image__frame_index", flat=True))


def test_ending_a_track_removes_what_follows_and_a_comeback_becomes_a_new_track(client_for, annotator, project, label):
    sequence, frames = make_clip(project, 12)
    track = track_create(project=project, user=annotator, label=label, sequence=sequence)
    for n, x in ((0, 0), (6, 60), (11, 110)):
        _keyframe(frames[n], track, annotator, x)
    Box.objects.filter(track=track, image=frames[9]).update(source=BoxSource.TRACKED)  # a tracker's box, say
    assert _frames_of(track) == list(range(12))
    response = client_for(annotator).post(f"/api/tracks/{track.pk}/end/", {"image": frames[3].pk}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["track"]["last_frame"] == frames[3].pk
    assert _frames_of(track) == [0, 1, 2, 3]
    assert Box.objects.get(track=track, image=frames[3]).keyframe  # a person said it is there
    successor = Track.objects.exclude(pk=track.pk).get()
    assert (successor.number, successor.label_id, successor.sequence_id) == (2, label.pk, sequence.pk)
    assert _frames_of(successor) == [6, 7, 8, 9, 10, 11]
    # One undo on the frame where it was asked puts the track back as it was.
    history_undo(image=frames[3], user=annotator)
    assert _frames_of(track) == list(range(12)) and _frames_of(successor) == []
    assert not Box.objects.get(track=track, image=frames[3]).keyframe


def test_ending_at_a_frame_outside_the_tracks_sequence_is_refused(client_for, annotator, project, label):
    sequence, frames = make_clip(project, 3)
    _, elsewhere = make_clip(project, 1, name="other", start=50)
    track = track_create(project=project, user=annotator, label=label, sequence=sequence)
    _keyframe(frames[0], track, annotator, 0)
    api = client_for(annotator)
    assert api.post(f"/api/tracks/{track.pk}/end/", {"image": elsewhere[0].pk}, format="json").status_code == 400
    assert api.post(f"/api/tracks/{track.pk}/end/", {}, format="json").status_code == 400
    assert api.post(f"/api/tracks/{track.pk}/end/", {"image": 2**70}, format="json").status_code in (400, 404)


def test_track_deletion_is_live_on_the_project_socket(
    annotator, project, label, sent, django_capture_on_commit_callbacks
):
    from annotations.services.tracks import track_delete

    sequence, frames = make_clip(project, 3)
    track = track_create(project=project, user=annotator, label=label, sequence=sequence)
    _keyframe(frames[0], track, annotator, 0)
    _keyframe(frames[2], track, annotator, 40)
    with django_capture_on_commit_callbacks(execute=True):
        track_delete(track=track, user=annotator)
    deleted = [payload for group, kind, payload in sent if kind == "track.deleted"]
    assert deleted == [{"track": {"id": track.pk, "project": project.pk, "number": 1},
                        "user": {"id": annotator.pk, "username": annotator.username}}]  # fmt: skip
    gone = [payload["box"]["image"] for group, kind, payload in sent if kind == "box.deleted"]
    assert gone == [frames[1].pk]  # the interpolated box; the keyframes stay, without the track


def test_an_ended_track_says_where_it_ended_until_it_goes_on_or_the_end_is_undone(
    client_for, annotator, project, label, sent, django_capture_on_commit_callbacks
):
    """`ended_at` (track JSON): the frame End track was pressed on, while it is the track's last;
    the annotate page draws no ghost of the track past it."""
    sequence, frames = make_clip(project, 6)
    track = track_create(project=project, user=annotator, label=label, sequence=sequence)
    for n, x in ((0, 0), (4, 40)):
        _keyframe(frames[n], track, annotator, x)
    api = client_for(annotator)
    ended = lambda: api.get(f"/api/tracks/{track.pk}/").json()["ended_at"]  # noqa: E731
    assert ended() is None  # a track nobody ended: its ghost leads on
    with django_capture_on_commit_callbacks(execute=True):
        body = api.post(f"/api/tracks/{track.pk}/end/", {"image": frames[2].pk}, format="json").json()
    assert body["track"]["ended_at"] == frames[2].pk == ended()
    assert api.get(f"/api/projects/{project.pk}/tracks/").json()["results"][0]["ended_at"] == frames[2].pk
    updated = {payload["track"]["id"]: payload["track"] for group, kind, payload in sent if kind == "track.updated"}
    assert updated[track.pk]["ended_at"] == frames[2].pk  # open pages learn it live
    (successor,) = {payload["track"]["id"] for group, kind, payload in sent if kind == "track.created"}
    assert updated[successor]["ended_at"] is None  # the keyframe on frame 4 came back as a track of its own

    history_undo(image=frames[2], user=annotator)  # the end undone: one track again, frames 0-4
    assert ended() is None
    api.post(f"/api/tracks/{track.pk}/end/", {"image": frames[2].pk}, format="json")
    copied = api.post(f"/api/images/{frames[2].pk}/copy-forward/", {"boxes": "all"}, format="json")
    assert copied.status_code == 201 and ended() is None  # it goes on after all
    history_undo(image=frames[3], user=annotator)  # the copy taken back: it ends at frame 2 again
    assert ended() == frames[2].pk
