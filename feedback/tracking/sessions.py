"""Annotation sessions, derived from AnnotationEvent rows: a user's consecutive events on a
project with gaps under `ANNOTATION_SESSION_IDLE_SECONDS` form one session; it closes after
the idle timeout (`sessions_close_idle`, run by the worker's tick) or at logout.

Deriving sessions from the history (instead of counting in every request) keeps the write
path untouched and makes the counts auditable: they are re-computable from the events.
"""

from datetime import timedelta
from itertools import groupby

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, OuterRef, Q, Subquery
from django.utils import timezone

from annotations.models import AnnotationEvent, EventAction, Image, ImageStatus
from feedback.models import AnnotationSession
from feedback.tracking.runs import session_track
from inference.models import Prediction
from inference.periodic import Chore, chore_register

# Events committed this long after their timestamp are still folded in (a slow transaction).
LATE_COMMIT_SLACK = timedelta(minutes=5)
# A prediction is decided a moment before its event is written.
DECISION_SLACK = timedelta(seconds=5)
ADVISORY_LOCK = 0x5E5510


def idle_timeout() -> timedelta:
    return timedelta(seconds=settings.ANNOTATION_SESSION_IDLE_SECONDS)


def _lock() -> None:
    # Two ticks at once must not both turn the same events into sessions. SQLite writers are
    # already serialised (IMMEDIATE transactions); PostgreSQL gets a transaction-scoped lock.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])


def _new_events(user_id=None):
    """(user, project, time) of events not yet in a session, grouped by user and project."""
    latest = (
        AnnotationSession.objects.filter(user_id=OuterRef("user_id"), project_id=OuterRef("image__project_id"))
        .order_by("-last_activity_at")
        .values("last_activity_at")[:1]
    )
    events = AnnotationEvent.objects.filter(user__isnull=False)
    if user_id is not None:
        events = events.filter(user_id=user_id)
    floor = AnnotationSession.objects.aggregate(m=Max("last_activity_at"))["m"]
    if floor is not None:  # everything older was folded by an earlier tick
        events = events.filter(created_at__gt=floor - LATE_COMMIT_SLACK)
    events = events.annotate(project_pk=F("image__project_id"), seen=Subquery(latest)).filter(
        Q(seen__isnull=True) | Q(created_at__gt=F("seen"))
    )
    rows = events.order_by("user_id", "project_pk", "created_at", "id").values_list("user_id", "project_pk", "created_at")
    return rows.iterator(chunk_size=5000)


def sessions_update(*, user_id=None) -> list[AnnotationSession]:
    """Fold new events into sessions; return the sessions a gap closed."""
    closed = []
    idle = idle_timeout()
    open_sessions = {
        (s.user_id, s.project_id): s
        for s in AnnotationSession.objects.select_for_update().filter(
            ended_at__isnull=True, **({"user_id": user_id} if user_id is not None else {})
        )
    }
    for (uid, pid), group in groupby(_new_events(user_id), key=lambda r: (r[0], r[1])):
        session = open_sessions.get((uid, pid))
        for _, _, at in group:
            if session is not None and at - session.last_activity_at < idle:
                session.last_activity_at = at
                continue
            if session is not None:
                closed.append(session_close(session=session, ended_at=session.last_activity_at))
            session = AnnotationSession.objects.create(user_id=uid, project_id=pid, started_at=at, last_activity_at=at)
        session.save(update_fields=["last_activity_at"])
    return closed


@transaction.atomic
def sessions_close_idle(*, now=None) -> list[AnnotationSession]:
    """Fold new events, then close every session idle for longer than the timeout; each
    closed session's MLflow run is queued. Returns the sessions closed."""
    _lock()
    now = now or timezone.now()
    closed = sessions_update()
    stale = AnnotationSession.objects.filter(ended_at__isnull=True, last_activity_at__lte=now - idle_timeout())
    for session in stale.select_for_update():
        closed.append(session_close(session=session, ended_at=session.last_activity_at))
    return closed


@transaction.atomic
def sessions_close_for_user(*, user, now=None) -> list[AnnotationSession]:
    """At logout: fold the user's new events and close all their open sessions now."""
    _lock()
    now = now or timezone.now()
    closed = sessions_update(user_id=user.pk)
    for session in AnnotationSession.objects.select_for_update().filter(user=user, ended_at__isnull=True):
        closed.append(session_close(session=session, ended_at=max(now, session.last_activity_at)))
    return closed


def session_close(*, session: AnnotationSession, ended_at) -> AnnotationSession:
    """Count the session's work from its events, close it and queue its run."""
    session.counts = session_counts(session=session)
    session.ended_at = ended_at
    session.save(update_fields=["counts", "ended_at", "last_activity_at"])
    session_track(session=session)
    return session


def session_counts(*, session: AnnotationSession) -> dict:
    window = (session.started_at, session.last_activity_at)
    events = AnnotationEvent.objects.filter(
        user_id=session.user_id, image__project_id=session.project_id, created_at__range=window
    )
    by_action = dict(events.values_list("action").annotate(n=Count("id")).order_by())
    frames = events.values("image_id").distinct().count()
    decided = dict(
        Prediction.objects.filter(
            decided_by_id=session.user_id,
            image__project_id=session.project_id,
            decided_at__range=(window[0] - DECISION_SLACK, window[1]),
        )
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    status = dict(Image.objects.filter(project_id=session.project_id).values_list("status").annotate(n=Count("id"))
                  .order_by())
    total = sum(status.values())
    done = status.get(ImageStatus.SUBMITTED, 0) + status.get(ImageStatus.APPROVED, 0)
    seconds = (session.last_activity_at - session.started_at).total_seconds()
    return {
        "frames_evaluated": frames,
        "events": sum(by_action.values()),
        "boxes_created": by_action.get(EventAction.CREATE, 0),
        "boxes_edited": by_action.get(EventAction.UPDATE, 0),
        "boxes_deleted": by_action.get(EventAction.DELETE, 0),
        "ai_accepted": decided.get("accepted", 0),
        "ai_corrected": decided.get("corrected", 0),
        "ai_rejected": decided.get("rejected", 0),
        "ratings_given": by_action.get(EventAction.FEEDBACK, 0),
        "undos": by_action.get(EventAction.UNDO, 0),
        "redos": by_action.get(EventAction.REDO, 0),
        "frames_submitted": by_action.get(EventAction.SUBMIT, 0),
        "seconds_active": round(seconds, 3),
        "seconds_per_frame": round(seconds / frames, 3) if frames else 0.0,
        "progress_pct": round(100.0 * done / total, 2) if total else 0.0,
    }


def sessions_chore_register() -> None:
    """Close idle sessions in the worker's periodic work, before the outbox is sent (FeedbackConfig.ready())."""
    chore_register(Chore("sessions", lambda: {"closed": len(sessions_close_idle())}, "PERIODIC_SESSIONS_SECONDS"))
