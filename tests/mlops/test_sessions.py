"""Annotation sessions derived from the history: split by idle gaps, closed by the tick or at
logout, counted, and logged as MLflow runs."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from annotations.models import AnnotationEvent, EventAction, ImageStatus
from feedback.models import AnnotationSession
from tracking.models import TrackingOutbox
from feedback.tracking import outbox_flush, sessions_close_idle, tracking_tick
from inference.models import DetectionJob, JobStatus, Prediction
from tests.factories import ImageFactory, MembershipFactory, ProjectFactory
from tests.mlops.conftest import runs_of

pytestmark = pytest.mark.django_db

T0 = timezone.now() - timedelta(days=1)


def event(image, user, action, seconds):
    e = AnnotationEvent.objects.create(image=image, user=user, action=action)
    AnnotationEvent.objects.filter(pk=e.pk).update(created_at=T0 + timedelta(seconds=seconds))


@pytest.fixture
def idle(settings):
    settings.ANNOTATION_SESSION_IDLE_SECONDS = 600
    return 600


def test_an_idle_gap_splits_work_into_two_sessions_with_their_counts(project, annotator, idle, mlflow_store):
    frames = [ImageFactory(project=project) for _ in range(4)]
    frames[0].status = ImageStatus.SUBMITTED
    frames[0].save()
    event(frames[0], annotator, EventAction.CREATE, 0)
    event(frames[0], annotator, EventAction.CREATE, 30)
    event(frames[0], annotator, EventAction.UPDATE, 60)
    event(frames[1], annotator, EventAction.DELETE, 90)
    event(frames[1], annotator, EventAction.FEEDBACK, 120)
    event(frames[2], annotator, EventAction.CREATE, 120 + idle + 1)  # after a long pause: a new session

    closed = sessions_close_idle(now=T0 + timedelta(seconds=120 + 2 * idle + 2))
    assert len(closed) == 2
    first, second = AnnotationSession.objects.order_by("started_at")
    assert (first.started_at, first.ended_at) == (T0, T0 + timedelta(seconds=120))
    assert {k: first.counts[k] for k in ("frames_evaluated", "boxes_created", "boxes_edited", "boxes_deleted",
                                         "ratings_given")} == {
        "frames_evaluated": 2, "boxes_created": 2, "boxes_edited": 1, "boxes_deleted": 1, "ratings_given": 1}
    assert first.counts["seconds_per_frame"] == 60.0 and first.counts["progress_pct"] == 25.0
    assert second.counts["frames_evaluated"] == 1 and second.counts["boxes_created"] == 1

    assert outbox_flush()["sent"] == 2
    runs = runs_of(project, mlflow_store, "annotation_session")
    assert sorted(r.data.metrics["boxes_created"] for r in runs) == [1, 2]
    assert {r.data.tags["user"] for r in runs} == {"anna"}
    first.refresh_from_db()
    assert first.mlflow_run_id in {r.info.run_id for r in runs}


def test_a_session_stays_open_until_the_idle_timeout_and_grows_with_new_events(project, annotator, idle, image):
    event(image, annotator, EventAction.CREATE, 0)
    assert sessions_close_idle(now=T0 + timedelta(seconds=idle - 1)) == []
    event(image, annotator, EventAction.UPDATE, idle - 1)
    assert sessions_close_idle(now=T0 + timedelta(seconds=idle + 10)) == []
    (session,) = AnnotationSession.objects.all()
    assert session.ended_at is None and session.last_activity_at == T0 + timedelta(seconds=idle - 1)
    assert not TrackingOutbox.objects.exists()
    (closed,) = sessions_close_idle(now=T0 + timedelta(seconds=2 * idle))
    assert closed.pk == session.pk and closed.counts["events"] == 2
    assert sessions_close_idle(now=T0 + timedelta(seconds=3 * idle)) == []  # nothing folded twice
    assert AnnotationSession.objects.count() == 1


def test_sessions_are_per_user_per_project(project, annotator, reviewer, idle, image):
    other = ProjectFactory()
    MembershipFactory(project=other, user=annotator)
    event(image, annotator, EventAction.CREATE, 0)
    event(image, reviewer, EventAction.REVIEW, 5)
    event(ImageFactory(project=other), annotator, EventAction.CREATE, 10)
    closed = sessions_close_idle(now=T0 + timedelta(seconds=10 * idle))
    assert sorted((s.user.username, s.project_id) for s in closed) == sorted(
        [("anna", project.pk), ("rita", project.pk), ("anna", other.pk)]
    )


def test_ai_decisions_in_the_session_are_counted(project, annotator, idle, image):
    job = DetectionJob.objects.create(image=image, prompts=["cat"], status=JobStatus.DONE)
    for rank, status in enumerate(["accepted", "accepted", "corrected", "rejected"]):
        Prediction.objects.create(job=job, image=image, prompt="cat", rank=rank, x_min=0, y_min=0, x_max=5, y_max=5,
                                  status=status, decided_by=annotator, decided_at=T0 + timedelta(seconds=rank))
    for rank, action in enumerate([EventAction.ACCEPT, EventAction.ACCEPT, EventAction.ACCEPT, EventAction.REJECT]):
        event(image, annotator, action, rank)
    (session,) = sessions_close_idle(now=T0 + timedelta(seconds=10 * idle))
    assert (session.counts["ai_accepted"], session.counts["ai_corrected"], session.counts["ai_rejected"]) == (2, 1, 1)


def test_logging_out_closes_the_users_open_session(project, annotator, image):
    recent = timezone.now() - timedelta(seconds=5)
    e = AnnotationEvent.objects.create(image=image, user=annotator, action=EventAction.CREATE)
    AnnotationEvent.objects.filter(pk=e.pk).update(created_at=recent)
    client = Client()
    client.force_login(annotator)
    client.post("/accounts/logout/")
    (session,) = AnnotationSession.objects.all()
    assert session.ended_at is not None and session.counts["boxes_created"] == 1
    assert TrackingOutbox.objects.filter(key=f"annotation_session:{session.pk}").exists()


def test_the_worker_tick_closes_sessions_and_never_raises_with_mlflow_down(project, annotator, idle, image,
                                                                           settings):
    settings.MLFLOW_TRACKING_URI = "http://127.0.0.1:8519"
    event(image, annotator, EventAction.CREATE, 0)
    counts = tracking_tick()
    assert counts["sessions_closed"] == 1 and counts["sent"] == 0 and counts["pending"] == 1
