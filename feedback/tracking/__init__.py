"""MLflow tracking through an outbox: nothing here may block or fail a request."""


def detection_job_track(*, job) -> None:
    """Queue the MLflow run of a finished detection job (sent outside the request)."""
    # Filled in by the MLOps work; callers may rely on this signature now.
    return None
