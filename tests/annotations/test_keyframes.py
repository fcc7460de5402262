"""Keyframe interpolation maths (annotations/keyframes.py): linear in position and size."""

import pytest

from annotations.keyframes import Rect, interpolate_between, lerp_rect


def test_halfway_box_has_the_mean_centre_and_mean_size():
    start, end = Rect(0, 0, 10, 10), Rect(100, 50, 140, 70)  # centre 5,5 size 10x10 → centre 120,60 size 40x20
    mid = lerp_rect(start, end, 0.5)
    assert ((mid.x_min + mid.x_max) / 2, (mid.y_min + mid.y_max) / 2) == (62.5, 32.5)
    assert (mid.x_max - mid.x_min, mid.y_max - mid.y_min) == (25, 15)


def test_the_ends_are_the_keyframes_themselves():
    start, end = Rect(1, 2, 3, 4), Rect(10, 20, 30, 40)
    assert lerp_rect(start, end, 0) == start
    assert lerp_rect(start, end, 1) == end


def test_every_position_strictly_between_consecutive_keyframes_gets_a_box_and_none_outside():
    keyframes = [(10, Rect(10, 10, 20, 20)), (0, Rect(0, 0, 10, 10)), (13, Rect(40, 10, 50, 20))]
    produced = dict(interpolate_between(keyframes))
    assert sorted(produced) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12]
    assert produced[5] == Rect(5, 5, 15, 15)
    assert produced[11].x_min == pytest.approx(20)  # a third of the way from 10 to 40


def test_adjacent_or_single_keyframes_produce_nothing():
    assert list(interpolate_between([(3, Rect(0, 0, 1, 1)), (4, Rect(1, 1, 2, 2))])) == []
    assert list(interpolate_between([(3, Rect(0, 0, 1, 1))])) == []
    assert list(interpolate_between([])) == []


def test_motion_is_linear_frame_by_frame():
    boxes = dict(interpolate_between([(0, Rect(0, 0, 10, 10)), (300, Rect(300, 600, 330, 640))]))
    steps = [boxes[p + 1].x_min - boxes[p].x_min for p in range(1, 298)]
    assert max(steps) == pytest.approx(min(steps))


def test_clipping_keeps_a_box_inside_the_frame_or_drops_it():
    assert Rect(-5, -5, 10, 10).clipped(8, 8) == Rect(0, 0, 8, 8)
    assert Rect(20, 20, 30, 30).clipped(8, 8) is None
