"""GET /api/tracks/{id}/boxes/: a track's live boxes in frame order, what the timeline strip draws."""

import pytest

from annotations.models import Box, BoxSource
from annotations.services.boxes import box_create, box_delete
from annotations.services.tracks import track_create
from tests.annotations.track_helpers import make_clip

pytestmark = pytest.mark.django_db


def _keyframe(frame, track, user, x):
    return box_create(image=frame, user=user, label=track.label, track=track, x_min=x, y_min=10, x_max=x + 20, y_max=30)


def _url(track, **query):
    return f"/api/tracks/{track.pk}/boxes/" + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_tracks_live_boxes_come_in_frame_order_in_the_box_shape_with_their_frame_index(
    client_for, annotator, project, label
):
    sequence, frames = make_clip(project, 8, start=10)
    track = track_create(project=project, user=annotator, label=label, sequence=sequence)
    other = track_create(project=project, user=annotator, label=label, sequence=sequence)
    for n, x in ((6, 60), (1, 10)):  # drawn out of order: keyframes on frames 1 and 6, 2-5 interpolated
        _keyframe(frames[n], track, annotator, x)
    _keyframe(frames[3], other, annotator, 300)
    Box.objects.filter(track=track, image=frames[4]).update(source=BoxSource.TRACKED)
    gone = Box.objects.get(track=track, image=frames[5])
    box_delete(box=gone.pk, user=annotator, version=gone.version)  # deleted: not listed
    api = client_for(annotator)

    body = api.get(_url(track)).json()
    boxes = body["results"]
    assert body["count"] == len(boxes) == 5
    assert [(b["frame_index"], b["keyframe"], b["source"]) for b in boxes] == [
        (11, True, "human"), (12, False, "interpolated"), (13, False, "interpolated"), (14, False, "tracked"),
        (16, True, "human"),
    ]
    assert [b["image"] for b in boxes] == [frames[n].pk for n in (1, 2, 3, 4, 6)]
    assert {b["track"] for b in boxes} == {track.pk} and not any(b["deleted"] for b in boxes)
    # The same box JSON as everywhere else (one shape source), plus the frame's index.
    single = api.get(f"/api/boxes/{boxes[0]['id']}/").json()
    assert boxes[0] == {**single, "frame_index": 11}
    assert [b["frame_index"] for b in api.get(_url(track, page_size=2)).json()["results"]] == [11, 12]


def test_any_member_may_read_them_and_outsiders_get_404(client_for, annotator, outsider, project, label):
    sequence, frames = make_clip(project, 2)
    track = track_create(project=project, user=annotator, label=label, sequence=sequence)
    _keyframe(frames[0], track, annotator, 0)
    assert client_for(annotator).get(_url(track)).status_code == 200  # the lowest role of the project
    assert client_for(outsider).get(_url(track)).status_code == 404
    assert client_for(None).get(_url(track)).status_code in (401, 403)
    assert client_for(annotator).get(f"/api/tracks/{2**62}/boxes/").status_code == 404
    assert client_for(annotator).get(_url(track, page=9)).status_code == 404  # past the last page, as every list


@pytest.mark.parametrize("length", [3, 40])
def test_reading_them_takes_a_fixed_number_of_queries(
    client_for, annotator, project, label, length, django_assert_max_num_queries
):
    sequence, frames = make_clip(project, length)
    track = track_create(project=project, user=annotator, label=label, sequence=sequence)
    _keyframe(frames[0], track, annotator, 0)
    _keyframe(frames[-1], track, annotator, 100)
    api = client_for(annotator)
    with django_assert_max_num_queries(4):  # the track and the caller's role, the count, the page
        assert len(api.get(_url(track, page_size=1000)).json()["results"]) == length
