"""Tracks over REST: CRUD, numbering, box membership rules, and the JSON shapes of DESIGN.md."""

import pytest

from annotations.models import Box, Track
from tests.annotations.track_helpers import make_clip
from tests.factories import LabelFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clip(project):
    return make_clip(project, 12)


def _track(api, project, label, **extra):
    response = api.post(f"/api/projects/{project.pk}/tracks/", {"label": label.pk, **extra}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def _box(api, image, track=None, x=10, **extra):
    body = {"x_min": x, "y_min": 10, "x_max": x + 40, "y_max": 50, **extra}
    if track is not None:
        body["track"] = track
    return api.post(f"/api/images/{image.pk}/boxes/", body, format="json")


def test_tracks_are_numbered_per_project_and_listed_with_their_frame_range(client_for, annotator, project, label, clip):
    api = client_for(annotator)
    sequence, frames = clip
    first = _track(api, project, label, sequence=sequence.pk)
    second = _track(api, project, label)
    assert (first["number"], second["number"]) == (1, 2)
    assert first == {**first, "project": project.pk, "label": label.pk, "sequence": sequence.pk,
                     "first_frame": None, "last_frame": None, "box_count": 0}  # fmt: skip
    assert _box(api, frames[7], first["id"]).status_code == 201
    assert _box(api, frames[2], first["id"]).status_code == 201
    listed = api.get(f"/api/projects/{project.pk}/tracks/").json()["results"]
    assert [t["number"] for t in listed] == [1, 2]
    # Keyframes on frames 2 and 7: the four frames between were interpolated.
    assert listed[0] | {} == {**listed[0], "first_frame": frames[2].pk, "last_frame": frames[7].pk, "box_count": 6}
    other = ProjectFactory()
    assert Track.objects.filter(project=other).count() == 0


def test_box_json_carries_track_and_keyframe_and_takes_the_tracks_label(client_for, annotator, project, label, clip):
    api = client_for(annotator)
    _, frames = clip
    track = _track(api, project, label)
    box = _box(api, frames[0], track["id"]).json()  # no label sent: the track's
    assert (box["track"], box["keyframe"], box["label"], box["source"]) == (track["id"], True, label.pk, "human")
    plain = _box(api, frames[1], label=label.pk).json()
    assert (plain["track"], plain["keyframe"]) == (None, True)


def test_a_second_box_of_a_track_on_one_frame_is_a_409_naming_the_first(client_for, annotator, project, label, clip):
    api = client_for(annotator)
    _, frames = clip
    track = _track(api, project, label)
    first = _box(api, frames[0], track["id"]).json()
    response = _box(api, frames[0], track["id"], x=100)
    assert response.status_code == 409
    assert response.json()["box"] == first["id"] and "already has a box" in response.json()["detail"]
    plain = _box(api, frames[0], label=label.pk, x=200).json()
    moved = api.patch(f"/api/boxes/{plain['id']}/", {"version": 1, "track": track["id"]}, format="json")
    assert moved.status_code == 409
    assert Box.objects.filter(track_id=track["id"], deleted=False).count() == 1


def test_a_box_joins_a_track_by_patch_and_takes_its_label(client_for, annotator, project, label, clip):
    api = client_for(annotator)
    _, frames = clip
    car = LabelFactory(project=project, name="car")
    track = _track(api, project, car)
    plain = _box(api, frames[0], label=label.pk).json()
    joined = api.patch(f"/api/boxes/{plain['id']}/", {"version": 1, "track": track["id"]}, format="json").json()
    assert (joined["track"], joined["label"]) == (track["id"], car.pk)
    refused = api.patch(f"/api/boxes/{plain['id']}/", {"version": 2, "label": label.pk}, format="json")
    assert refused.status_code == 400 and "track's label" in refused.json()["detail"]
    mismatched = _box(api, frames[1], track["id"], label=label.pk)
    assert mismatched.status_code == 400


def test_foreign_tracks_labels_and_sequences_are_unknown(client_for, annotator, project, label, clip):
    api = client_for(annotator)
    _, frames = clip
    other = ProjectFactory()
    foreign_label = LabelFactory(project=other)
    foreign_track = Track.objects.create(project=other, label=foreign_label, number=1)
    assert _box(api, frames[0], foreign_track.pk).status_code == 400
    assert api.post(f"/api/projects/{project.pk}/tracks/", {"label": foreign_label.pk}, format="json").status_code == 400
    foreign_sequence, _ = make_clip(other, 1)
    bad = api.post(f"/api/projects/{project.pk}/tracks/", {"label": label.pk, "sequence": foreign_sequence.pk}, format="json")
    assert bad.status_code == 400
    assert api.get(f"/api/tracks/{foreign_track.pk}/").status_code == 404
    assert api.delete(f"/api/tracks/{foreign_track.pk}/").status_code == 404
    for body in ({"label": "x"}, {"label": True}, {}, {"label": label.pk, "sequence": 2**70}):
        assert api.post(f"/api/projects/{project.pk}/tracks/", body, format="json").status_code == 400


def test_a_box_in_another_sequence_than_its_tracks_is_refused(client_for, annotator, project, label, clip):
    api = client_for(annotator)
    sequence, _ = clip
    _, elsewhere = make_clip(project, 2, name="other", start=100)
    track = _track(api, project, label, sequence=sequence.pk)
    assert _box(api, elsewhere[0], track["id"]).status_code == 400


def test_relabelling_a_track_relabels_its_boxes_in_one_undo_step(client_for, annotator, project, label, clip):
    api = client_for(annotator)
    _, frames = clip
    car = LabelFactory(project=project, name="car")
    track = _track(api, project, label)
    _box(api, frames[0], track["id"])
    _box(api, frames[4], track["id"])
    changed = api.patch(f"/api/tracks/{track['id']}/", {"label": car.pk}, format="json").json()
    assert changed["label"] == car.pk
    assert set(Box.objects.filter(track_id=track["id"], deleted=False).values_list("label_id", flat=True)) == {car.pk}
    assert api.post(f"/api/images/{frames[2].pk}/undo/").status_code == 200
    assert set(Box.objects.filter(track_id=track["id"], deleted=False).values_list("label_id", flat=True)) == {label.pk}


def test_deleting_a_track_deletes_its_interpolated_boxes_and_keeps_its_keyframes(client_for, annotator, project, label, clip):
    api = client_for(annotator)
    _, frames = clip
    track = _track(api, project, label)
    kept = [_box(api, frames[n], track["id"]).json()["id"] for n in (0, 5)]
    assert Box.objects.filter(track_id=track["id"], deleted=False).count() == 6
    assert api.delete(f"/api/tracks/{track['id']}/").status_code == 204
    assert not Track.objects.filter(pk=track["id"]).exists()
    live = Box.objects.filter(image__project=project, deleted=False)
    assert sorted(live.values_list("pk", flat=True)) == kept
    assert set(live.values_list("track_id", flat=True)) == {None}


def test_track_list_takes_a_bounded_number_of_queries(client_for, annotator, project, label, clip, django_assert_max_num_queries):
    api = client_for(annotator)
    _, frames = clip
    for n in range(5):
        track = _track(api, project, label)
        _box(api, frames[n], track["id"])
    with django_assert_max_num_queries(6):
        assert len(api.get(f"/api/projects/{project.pk}/tracks/").json()["results"]) == 5


def test_a_project_with_tracks_can_be_deleted_and_a_label_moves_with_its_tracks(client_for, manager, project, label, clip):
    api = client_for(manager)
    _, frames = clip
    spare = LabelFactory(project=project, name="spare")
    track = _track(api, project, spare)
    assert api.delete(f"/api/labels/{spare.pk}/").status_code == 409
    assert api.delete(f"/api/labels/{spare.pk}/?move_to={label.pk}").status_code == 204
    assert Track.objects.get(pk=track["id"]).label_id == label.pk
    _box(api, frames[0], track["id"])
    assert api.delete(f"/api/projects/{project.pk}/").status_code == 204
    assert not Track.objects.exists()
