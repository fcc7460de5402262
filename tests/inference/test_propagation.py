"""Track propagation: the worker follows a track's box over the next frames and stores tracked boxes."""

import pytest

from annotations.models import Box, BoxSource
from annotations.services.history import history_undo
from inference.models import DetectionJob, JobStatus
from inference.services.job_control import job_cancel
from inference.services.propagation import propagation_run, propagation_submit
from inference.trackers import iou
from tests.inference.clips import in_view
from tests.inference.propagation_helpers import stored_clip, track_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def clip(project):
    return stored_clip(project)


def tracked_boxes(track):
    return list(Box.objects.filter(track=track, deleted=False, source=BoxSource.TRACKED).order_by("image__frame_index"))


def test_propagation_follows_the_square_with_a_mean_iou_of_at_least_0_7(clip, label, annotator):
    images, path = clip
    track = track_on(images, path, label=label, user=annotator)
    job = propagation_submit(track=track, from_image=images[0], frames=29, user=annotator)
    job = propagation_run(job_id=job.pk)
    assert job.status == JobStatus.DONE and job.timings["stopped"] == "done" and job.timings["frames"] == 29
    boxes = tracked_boxes(track)
    assert [box.image_id for box in boxes] == [image.pk for image in images[1:]]
    assert {(box.keyframe, box.label_id, box.created_by_id) for box in boxes} == {(False, label.pk, annotator.pk)}
    truths = {image.pk: truth for image, truth in zip(images, path)}
    ious = [iou((b.x_min, b.y_min, b.x_max, b.y_max), truths[b.image_id]) for b in boxes]
    assert sum(ious) / len(ious) >= 0.7


def test_propagation_stops_when_the_square_leaves_the_frame(project, label, annotator):
    images, path = stored_clip(project, exit_after=12)
    track = track_on(images, path, label=label, user=annotator)
    job = propagation_run(job_id=propagation_submit(track=track, from_image=images[0], frames=29, user=annotator).pk)
    assert job.status == JobStatus.DONE and job.timings["stopped"] == "lost"
    written = {box.image_id for box in tracked_boxes(track)}
    first_out = next(index for index, box in enumerate(path) if not in_view(box))
    assert {image.pk for image in images[1:13]} <= written  # every frame while it is fully in view
    assert not written & {image.pk for image in images[first_out + 3:]}  # nothing well after it left


def test_a_persons_box_further_on_ends_the_propagation_there_untouched(clip, label, annotator):
    images, path = clip
    track = track_on(images, path, label=label, user=annotator)
    person = Box.objects.create(image=images[5], label=label, track=track, x_min=1, y_min=1, x_max=9, y_max=9)
    job = propagation_run(job_id=propagation_submit(track=track, from_image=images[0], frames=20, user=annotator).pk)
    assert job.timings["stopped"] == "end" and job.timings["frames"] == 4
    person.refresh_from_db()
    assert (person.x_max, person.source, person.keyframe, person.version) == (9, "human", True, 1)


def test_a_job_cancelled_before_a_worker_took_it_writes_nothing(clip, label, annotator):
    images, path = clip
    track = track_on(images, path, label=label, user=annotator)
    job = propagation_submit(track=track, from_image=images[0], frames=10, user=annotator)
    assert job_cancel(job=job, user=annotator).status == JobStatus.CANCELLED
    assert propagation_run(job_id=job.pk) is None
    assert tracked_boxes(track) == []


def test_a_cancel_while_running_stops_it_after_the_frame_in_hand(clip, label, annotator, monkeypatch):
    images, path = clip
    track = track_on(images, path, label=label, user=annotator)
    job = propagation_submit(track=track, from_image=images[0], frames=29, user=annotator)
    from inference.services import propagation

    real_store = propagation._store
    stored = []

    def store_then_cancel_after_three(**kwargs):
        written = real_store(**kwargs)
        stored.append(written)
        if len(stored) == 3:  # a person presses cancel while the worker tracks the 4th frame
            job_cancel(job=DetectionJob.objects.get(pk=job.pk), user=annotator)
        return written

    monkeypatch.setattr(propagation, "_store", store_then_cancel_after_three)
    finished = propagation_run(job_id=job.pk)
    assert finished.status == JobStatus.CANCELLED
    assert len(tracked_boxes(track)) == 3  # the 4th frame's box was computed after the cancel: not stored


@pytest.mark.parametrize("frames", [0, 301])
def test_frames_out_of_bounds_are_refused(clip, label, annotator, client_for, frames):
    images, path = clip
    track = track_on(images, path, label=label, user=annotator)
    response = client_for(annotator).post(f"/api/tracks/{track.pk}/propagate/", {"from_image": images[0].pk, "frames": frames},
                                          format="json")
    assert response.status_code == 400 and "frames" in response.json()
    assert not DetectionJob.objects.exists()


def test_a_frame_without_the_tracks_box_is_refused(clip, label, annotator, client_for):
    images, path = clip
    track = track_on(images, path, label=label, user=annotator)
    response = client_for(annotator).post(f"/api/tracks/{track.pk}/propagate/", {"from_image": images[3].pk, "frames": 5},
                                          format="json")
    assert response.status_code == 400 and "no box" in response.json()["detail"]


def test_an_outsider_gets_404(clip, label, annotator, outsider, client_for):
    images, path = clip
    track = track_on(images, path, label=label, user=annotator)
    response = client_for(outsider).post(f"/api/tracks/{track.pk}/propagate/", {"from_image": images[0].pk, "frames": 5},
                                         format="json")
    assert response.status_code == 404


def test_the_web_process_only_queues_the_job_for_a_worker(clip, label, annotator, client_for, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    """The request builds no tracker and reads no frame; the job goes to the workers' channel."""
    images, path = clip
    track = track_on(images, path, label=label, user=annotator)
    from inference import frames, trackers
    from inference.services import job_control, propagation

    monkeypatch.setattr(trackers, "tracker_create", lambda *a, **k: pytest.fail("the web process built a tracker"))
    monkeypatch.setattr(propagation, "tracker_create", lambda *a, **k: pytest.fail("the web process built a tracker"))
    monkeypatch.setattr(frames, "frame_read", lambda *a, **k: pytest.fail("the web process read a frame"))
    dispatched = []
    monkeypatch.setattr(propagation, "job_dispatch", dispatched.append)
    monkeypatch.setattr(job_control, "propagation_run", lambda **k: pytest.fail("the web process ran the job"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(annotator).post(f"/api/tracks/{track.pk}/propagate/",
                                              {"from_image": images[0].pk, "frames": 5}, format="json")
    assert response.status_code == 202
    body = response.json()
    assert (body["kind"], body["track"], body["frames"], body["status"]) == ("propagate", track.pk, 5, "queued")
    assert dispatched == [body["id"]]
    assert tracked_boxes(track) == []


def test_one_undo_on_the_start_frame_takes_the_whole_propagation_back(clip, label, annotator, client_for):
    images, path = clip
    track = track_on(images, path, label=label, user=annotator)
    propagation_run(job_id=propagation_submit(track=track, from_image=images[0], frames=8, user=annotator).pk)
    assert len(tracked_boxes(track)) == 8
    response = client_for(annotator).post(f"/api/images/{images[0].pk}/undo/")
    assert response.status_code == 200
    assert tracked_boxes(track) == []
    assert Box.objects.filter(track=track, deleted=False).count() == 1  # the person's box it started from


def test_each_frame_is_written_in_a_fixed_handful_of_queries(project, label, annotator, monkeypatch):
    """Own the job, lock the frame, read the track's box there, insert box and event, start the frame, record
    what it wrote on the job (for a crash)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inference.services import propagation

    images, path = stored_clip(project, frames=6)
    track = track_on(images, path, label=label, user=annotator)
    real_store, counts = propagation._store, []

    def counted(**kwargs):
        with CaptureQueriesContext(connection) as queries:
            written = real_store(**kwargs)
        counts.append(sum(1 for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]))
        return written

    monkeypatch.setattr(propagation, "_store", counted)
    propagation_run(job_id=propagation_submit(track=track, from_image=images[0], frames=5, user=annotator).pk)
    assert counts == [7] * 5


def test_a_failed_propagation_ends_with_track_done_failed_and_its_reason_after_detection_failed(
    clip, label, annotator, monkeypatch, sent, django_capture_on_commit_callbacks
):
    """Clients following the project's socket see it end (`stopped: "failed"`, `reason`); the start
    frame's viewers still get `detection.failed` first, as before; what it wrote is one undo step."""
    images, path = clip
    track = track_on(images, path, label=label, user=annotator)
    from inference.services import propagation

    real_store, stored = propagation._store, []

    def store_then_break(**kwargs):
        if len(stored) == 2:
            raise OSError("The frame file could not be read.")
        stored.append(real_store(**kwargs))
        return stored[-1]

    monkeypatch.setattr(propagation, "_store", store_then_break)
    job = propagation_submit(track=track, from_image=images[0], frames=10, user=annotator)  # not dispatched
    with django_capture_on_commit_callbacks(execute=True):
        finished = propagation_run(job_id=job.pk)
    assert (finished.status, finished.error) == (JobStatus.FAILED, "The frame file could not be read.")
    ends = [(group, kind, payload) for group, kind, payload in sent if kind in ("detection.failed", "track.done")]
    assert [(group, kind) for group, kind, _ in ends] == [
        (f"image.{images[0].pk}", "detection.failed"),
        (f"project.{images[0].project_id}", "track.done"),
        (f"image.{images[0].pk}", "track.done"),
        (f"image.{images[2].pk}", "track.done"),
    ]
    assert ends[0][2]["job"]["kind"] == "propagate" and ends[0][2]["reason"] == "The frame file could not be read."
    assert ends[1][2] == {"job": job.pk, "track": track.pk, "image": images[0].pk, "frames": 2, "stopped": "failed",
                          "reason": "The frame file could not be read."}
    assert len(tracked_boxes(track)) == 2
    history_undo(image=images[0], user=annotator)
    assert tracked_boxes(track) == []
