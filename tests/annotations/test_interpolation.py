"""Keyframe interpolation stored as boxes: written in bulk, kept in step with its keyframes, one undo step."""

import pytest

from annotations.models import AnnotationEvent, Box, BoxSource
from annotations.services.boxes import box_create, box_delete, box_update
from annotations.services.history import history_redo, history_undo
from annotations.services.interpolation import interpolation_run
from annotations.services.tracks import track_create
from tests.annotations.track_helpers import make_clip

pytestmark = pytest.mark.django_db


def _live(track):
    return {b.image_id: b for b in Box.objects.filter(track=track, deleted=False)}


def _keyframe(frame, track, user, x, y=10, w=40, h=40):
    return box_create(image=frame, user=user, label=track.label, track=track, x_min=x, y_min=y, x_max=x + w, y_max=y + h)


def test_a_second_keyframe_fills_the_frames_between_with_interpolated_boxes(project, label, annotator):
    sequence, frames = make_clip(project, 11)
    track = track_create(project=project, user=annotator, label=label, sequence=sequence)
    _keyframe(frames[0], track, annotator, x=0)
    _keyframe(frames[10], track, annotator, x=100, w=60)
    boxes = _live(track)
    assert len(boxes) == 11
    middle = boxes[frames[5].pk]
    assert (middle.source, middle.keyframe, middle.label_id) == (BoxSource.INTERPOLATED, False, label.pk)
    assert (middle.x_min, middle.x_max) == (50.0, 100.0)  # centre 20 → 130, width 40 → 60: halfway 75, 50
    # Nothing before the first keyframe or after the last one.
    make_clip(project, 1, name="elsewhere", start=500)
    assert all(frames[0].frame_index <= Box.objects.get(pk=b.pk).image.frame_index <= 10 for b in boxes.values())


def test_editing_an_interpolated_box_makes_it_a_keyframe_and_reinterpolates_both_sides(project, label, annotator):
    sequence, frames = make_clip(project, 11)
    track = track_create(project=project, user=annotator, label=label, sequence=sequence)
    _keyframe(frames[0], track, annotator, x=0)
    _keyframe(frames[10], track, annotator, x=100)
    box = _live(track)[frames[5].pk]
    edited = box_update(box=box, user=annotator, version=box.version, y_min=200, y_max=240)
    assert edited.keyframe is True
    boxes = _live(track)
    assert boxes[frames[3].pk].y_min == pytest.approx(10 + (200 - 10) * 3 / 5)
    assert boxes[frames[8].pk].y_min == pytest.approx(200 + (10 - 200) * 3 / 5)
    # One undo on the edited frame puts the keyframe and every neighbour back.
    history_undo(image=frames[5], user=annotator)
    boxes = _live(track)
    assert (boxes[frames[5].pk].keyframe, boxes[frames[5].pk].y_min) == (False, 10)
    assert boxes[frames[3].pk].y_min == 10 and boxes[frames[8].pk].y_min == 10


def test_deleting_a_keyframe_reinterpolates_and_the_last_one_takes_its_tail_away(project, label, annotator):
    sequence, frames = make_clip(project, 11)
    track = track_create(project=project, user=annotator, label=label, sequence=sequence)
    _keyframe(frames[0], track, annotator, x=0)
    middle = _keyframe(frames[5], track, annotator, x=200)
    last = _keyframe(frames[10], track, annotator, x=0)
    assert _live(track)[frames[2].pk].x_min == 80
    box_delete(box=middle, user=annotator, version=middle.version)
    boxes = _live(track)
    assert len(boxes) == 11 and boxes[frames[5].pk].source == BoxSource.INTERPOLATED and boxes[frames[2].pk].x_min == 0
    last.refresh_from_db()
    box_delete(box=last, user=annotator, version=last.version)
    assert list(_live(track)) == [frames[0].pk]


def test_a_tracked_box_between_keyframes_is_left_alone(project, label, annotator):
    sequence, frames = make_clip(project, 5)
    track = track_create(project=project, user=annotator, label=label, sequence=sequence)
    Box.objects.create(image=frames[2], label=label, track=track, source=BoxSource.TRACKED, keyframe=False,
                       x_min=300, y_min=300, x_max=310, y_max=310)  # fmt: skip
    _keyframe(frames[0], track, annotator, x=0)
    _keyframe(frames[4], track, annotator, x=100)
    assert _live(track)[frames[2].pk].x_min == 300
    assert len(_live(track)) == 5


def test_interpolating_300_frames_takes_a_bounded_number_of_queries_and_one_undo(
    project, label, annotator, django_assert_max_num_queries
):
    sequence, frames = make_clip(project, 302)
    track = track_create(project=project, user=annotator, label=label, sequence=sequence)
    for frame, x in ((frames[0], 0), (frames[301], 300)):
        Box.objects.create(image=frame, label=label, track=track, x_min=x, y_min=0, x_max=x + 10, y_max=10)
    with django_assert_max_num_queries(16):
        result = interpolation_run(track=track, user=annotator, image_id=frames[0].pk)
    assert len(result.created) == 300
    assert len(_live(track)) == 302
    # Running it again writes nothing: the boxes are already where they belong.
    assert interpolation_run(track=track, user=annotator).boxes == []
    step = history_undo(image=frames[0], user=annotator)  # where the person pressed "interpolate"
    assert len(step.boxes) == 300
    assert len(_live(track)) == 2
    history_redo(image=frames[0], user=annotator)
    assert len(_live(track)) == 302
    assert AnnotationEvent.objects.filter(action="undo").count() == 301  # 300 boxes and the step's mark


def test_a_keyframe_drawn_300_frames_on_is_one_undo_with_its_interpolation(project, label, annotator):
    sequence, frames = make_clip(project, 301)
    track = track_create(project=project, user=annotator, label=label, sequence=sequence)
    _keyframe(frames[0], track, annotator, x=0)
    _keyframe(frames[300], track, annotator, x=300)
    assert len(_live(track)) == 301
    history_undo(image=frames[300], user=annotator)
    assert list(_live(track)) == [frames[0].pk]
    history_undo(image=frames[0], user=annotator)
    assert _live(track) == {}


def test_frames_an_annotator_may_not_change_are_skipped(project, label, annotator):
    sequence, frames = make_clip(project, 5)
    track = track_create(project=project, user=annotator, label=label, sequence=sequence)
    type(frames[2]).objects.filter(pk=frames[2].pk).update(status="approved")
    _keyframe(frames[0], track, annotator, x=0)
    _keyframe(frames[4], track, annotator, x=100)
    assert sorted(_live(track)) == sorted(f.pk for f in frames if f.pk != frames[2].pk)


def test_an_undo_of_a_group_someone_changed_since_is_refused_whole(project, label, annotator, reviewer):
    from annotations.errors import StaleVersion

    sequence, frames = make_clip(project, 8)
    track = track_create(project=project, user=annotator, label=label, sequence=sequence)
    for frame, x in ((frames[0], 0), (frames[7], 70)):
        Box.objects.create(image=frame, label=label, track=track, x_min=x, y_min=0, x_max=x + 10, y_max=10)
    interpolation_run(track=track, user=annotator, image_id=frames[0].pk)
    theirs = _live(track)[frames[3].pk]
    box_update(box=theirs, user=reviewer, version=theirs.version, y_min=50, y_max=60)
    before = {pk: (b.version, b.deleted) for pk, b in _live(track).items()}
    with pytest.raises(StaleVersion):
        history_undo(image=frames[0], user=annotator)
    assert {pk: (b.version, b.deleted) for pk, b in _live(track).items()} == before


def test_every_interpolated_box_reaches_its_frames_viewers_after_commit(
    project, label, annotator, sent, django_capture_on_commit_callbacks
):
    sequence, frames = make_clip(project, 5)
    track = track_create(project=project, user=annotator, label=label, sequence=sequence)
    for frame, x in ((frames[0], 0), (frames[4], 40)):
        Box.objects.create(image=frame, label=label, track=track, x_min=x, y_min=0, x_max=x + 10, y_max=10)
    with django_capture_on_commit_callbacks(execute=True):
        result = interpolation_run(track=track, user=annotator, image_id=frames[0].pk)
    created = [(group, payload["box"]["id"], payload["action"]) for group, kind, payload in sent if kind == "box.created"]
    assert created == [(f"image.{box.image_id}", box.pk, "interpolate") for box in result.created]
    updated = [payload["track"] for group, kind, payload in sent if kind == "track.updated"]
    assert updated[0]["box_count"] == 5 and updated[0]["first_frame"] == frames[0].pk
