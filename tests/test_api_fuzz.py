"""Schemathesis over every operation of the published schema: no 500, and no status the schema does not declare.

A short run with a fixed seed; bench/fuzz.py runs a long one and prints the figures."""

import pytest
from django.core.cache import cache

from tests.fuzzing import fuzz

EXAMPLES_PER_OPERATION = 6
SEED = 16


@pytest.fixture
def clean_cache():
    """The fuzzer trips the token endpoint's throttle; later tests must not inherit it."""
    yield
    cache.clear()


@pytest.mark.django_db
def test_the_api_answers_every_generated_request_with_a_declared_status_and_never_a_500(clean_cache):
    tally = fuzz(max_examples=EXAMPLES_PER_OPERATION, seed=SEED)
    assert tally.operations >= 45
    assert tally.cases == tally.operations * EXAMPLES_PER_OPERATION
    assert tally.server_errors == []
    assert tally.failures == []
