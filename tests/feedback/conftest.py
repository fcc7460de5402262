"""Fixtures for the metrics and next-frame tests; the builders live in `tests.feedback.rows`."""

import pytest

from tests.feedback.rows import Rows


@pytest.fixture
def rows(project):
    return Rows(project)


@pytest.fixture(autouse=True)
def evaluation_jobs_released_at_once(settings):
    """Tests run an evaluation's jobs in their own thread, so they are done with a job when it ends."""
    settings.EVALUATION_JOB_GRACE_SECONDS = 0
