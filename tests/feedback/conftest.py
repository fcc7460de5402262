"""Fixtures for the metrics and next-frame tests; the builders live in `tests.feedback.rows`."""

import pytest

from tests.feedback.rows import Rows


@pytest.fixture
def rows(project):
    return Rows(project)
