"""Race scenarios run on real PostgreSQL transactions (`transaction=True`): each thread has its own connection."""

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/races/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.races)
