"""Detections continue tracks: IoU with the frame before, assigned one-to-one (Hungarian), across N frames."""

import pytest

from annotations.models import Box, Sequence
from annotations.services.tracks import track_create
from inference.detectors.memory import MemoryDetector
from inference.models import DetectionJob, Prediction
from inference.services import job_run, prediction_accept
from inference.services.track_matching import assign_by_iou
from inference.trackers import iou
from tests.factories import ImageFactory


def test_the_assignment_maximises_total_iou_where_greedy_would_not():
    references = [(0, 0, 10, 10), (5, 0, 15, 10)]
    candidates = [(1, 0, 11, 10), (0, 0, 9, 10)]
    # Greedy would give candidate 0 its best reference (0) and leave candidate 1 one below the threshold.
    assert iou(candidates[0], references[0]) > iou(candidates[0], references[1])
    assert assign_by_iou(references, candidates) == [(0, 1), (1, 0)]


def test_pairs_below_the_threshold_are_no_match():
    assert assign_by_iou([(0, 0, 10, 10)], [(9, 9, 20, 20)]) == []
    assert assign_by_iou([], [(0, 0, 1, 1)]) == [] and assign_by_iou([(0, 0, 1, 1)], []) == []


def test_more_candidates_than_references_leaves_the_extra_unmatched():
    pairs = assign_by_iou([(0, 0, 10, 10)], [(50, 50, 60, 60), (1, 1, 10, 10), (0, 0, 10, 11)])
    assert pairs == [(2, 0)]


@pytest.fixture
def clip(project):
    sequence = Sequence.objects.create(project=project, name="walk")
    return [ImageFactory(project=project, sequence=sequence, frame_index=i, width=640, height=480) for i in range(3)]


def person_box(shift=0.0):
    d = MemoryDetector.expected("person", 640, 480)[0]
    return {"x_min": d.x_min + shift, "y_min": d.y_min, "x_max": d.x_max + shift, "y_max": d.y_max}


@pytest.mark.django_db
def test_detections_across_frames_stay_the_same_track_and_accepting_puts_them_in_it(
    clip, labels, annotator, client_for, django_capture_on_commit_callbacks
):
    person = labels[0]
    followed = track_create(project=clip[0].project, user=annotator, label=person, sequence=clip[0].sequence)
    elsewhere = track_create(project=clip[0].project, user=annotator, label=person, sequence=clip[0].sequence)
    Box.objects.create(image=clip[0], label=person, track=followed, **person_box(shift=3))
    Box.objects.create(image=clip[0], label=person, track=elsewhere, x_min=600, y_min=400, x_max=630, y_max=470)

    response = client_for(annotator).post(f"/api/images/{clip[1].pk}/detect/", {"prompts": "person", "frames": 2},
                                          format="json")
    assert response.status_code == 202
    body = response.json()
    assert [job["image"] for job in body["jobs"]] == [clip[1].pk, clip[2].pk] and body["skipped"] == []
    assert body["id"] == body["jobs"][0]["id"]
    for job in body["jobs"]:  # one worker, in frame order
        job_run(job_id=job["id"])

    for frame in clip[1:]:
        first = Prediction.objects.get(image=frame, rank=0)
        assert first.track_id == followed.pk  # frame 2: through frame 1's suggestion, nobody decided yet
        others = Prediction.objects.filter(image=frame, rank__gt=0).values_list("track_id", flat=True)
        assert set(others) <= {None, elsewhere.pk} and followed.pk not in set(others)
    _, box = prediction_accept(prediction=Prediction.objects.get(image=clip[2], rank=0), user=annotator)
    assert (box.track_id, box.source) == (followed.pk, "ai")


@pytest.mark.django_db
def test_frames_beyond_the_bound_are_refused_and_queue_nothing(clip, labels, annotator, client_for, settings):
    settings.INFERENCE_DETECT_MAX_FRAMES = 2
    response = client_for(annotator).post(f"/api/images/{clip[0].pk}/detect/", {"prompts": "person", "frames": 3},
                                          format="json")
    assert response.status_code == 400 and "frames" in response.json()
    assert not DetectionJob.objects.exists()


@pytest.mark.django_db
def test_a_later_busy_frame_is_skipped_not_refused(clip, labels, annotator, client_for):
    busy = DetectionJob.objects.create(image=clip[1], status="running")
    response = client_for(annotator).post(f"/api/images/{clip[0].pk}/detect/", {"prompts": "person", "frames": 3},
                                          format="json")
    assert response.status_code == 202
    assert [job["image"] for job in response.json()["jobs"]] == [clip[0].pk, clip[2].pk]
    assert response.json()["skipped"] == [clip[1].pk] and busy.pk not in [j["id"] for j in response.json()["jobs"]]
