"""OpenCV trackers follow a textured square along its known path and stop once it leaves the frame."""

import pytest

from inference.trackers import OpenCVTracker, TrackerUnavailable, iou, tracker_create
from inference.trackers.base import LOST_DEGENERATE, box_check
from tests.inference.clips import in_view, square_clip, square_path


@pytest.mark.parametrize("kind", ["csrt", "mil"])
def test_a_tracker_follows_the_square_with_a_mean_iou_of_at_least_0_7(kind):
    path = square_path(30)
    clip = square_clip(path)
    tracker = OpenCVTracker(kind)
    tracker.start(clip[0], path[0])
    ious = []
    for frame, truth in zip(clip[1:], path[1:]):
        step = tracker.step(frame)
        assert not step.lost, f"lost on a frame where the square is in full view ({step.lost})"
        ious.append(iou(step.box, truth))
    assert len(ious) == 29
    assert sum(ious) / len(ious) >= 0.7


@pytest.mark.parametrize("kind", ["csrt", "mil"])
def test_a_tracker_stops_when_the_square_leaves_the_frame(kind):
    path = square_path(30, exit_after=12)
    clip = square_clip(path)
    tracker = OpenCVTracker(kind)
    tracker.start(clip[0], path[0])
    steps = [tracker.step(frame) for frame in clip[1:]]
    lost_at = next(index for index, step in enumerate(steps, start=1) if step.lost)
    first_out = next(index for index, box in enumerate(path) if not in_view(box))
    assert lost_at <= first_out + 3  # within the loss checks' patience of the square's exit
    assert all(not step.lost for step in steps[: 12])


def test_a_collapsed_box_is_lost_not_returned():
    assert box_check((10, 10, 12, 40), width=100, height=100, first_area=900) == (None, LOST_DEGENERATE)


def test_an_unknown_tracker_is_refused_with_the_choices():
    with pytest.raises(TrackerUnavailable, match="mil or csrt"):
        tracker_create("kcf")
