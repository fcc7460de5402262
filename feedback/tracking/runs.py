"""The MLflow run of an annotation session, as an outbox payload (plain JSON, built at enqueue)."""

from tracking.outbox import outbox_enqueue
from tracking.runs import ms, project_experiment


def session_track(*, session) -> str:
    """Queue the MLflow run of a closed annotation session; returns the outbox key."""
    project, user = session.project, session.user
    key = f"annotation_session:{session.pk}"
    payload = {
        "experiment": project_experiment(project),
        "run_name": f"session-{user.username}-{session.started_at:%Y%m%dT%H%M%S}",
        "start_ms": ms(session.started_at),
        "end_ms": ms(session.ended_at),
        "params": {
            "user": user.username,
            "project_id": project.pk,
            "started_at": session.started_at.isoformat(),
            "ended_at": session.ended_at.isoformat() if session.ended_at else "",
        },
        "metrics": dict(session.counts),
        "tags": {"hitl.kind": "annotation_session", "project": project.name, "project_id": project.pk,
                 "user": user.username, "session_id": session.pk},
        "target": {"model": "feedback.AnnotationSession", "pk": session.pk},
    }
    outbox_enqueue(kind="annotation_session", key=key, payload=payload)
    return key
