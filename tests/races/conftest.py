"""Race scenarios run on real PostgreSQL transactions (`transaction=True`): each thread has its own
connection. With RACE_DAPHNE=1 (`bench/races.py --daphne`) the requests go to two real Daphne
processes on the test database and Redis instead of the in-process API."""

import os

import pytest
from django.conf import settings


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/races/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.races)


@pytest.fixture(scope="session", autouse=True)
def race_servers(django_db_setup, django_db_blocker, tmp_path_factory):
    if not os.environ.get("RACE_DAPHNE"):
        yield None
        return
    from django.db import connection

    from tests.live.daphne import daphne_processes, database_url, free_ports

    with django_db_blocker.unblock():
        url = database_url(connection.settings_dict)
    folder = tmp_path_factory.mktemp("race-daphne")
    env = {
        "DATABASE_URL": url,
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "MEDIA_ROOT": str(folder / "media"),
        "HITL_VAR_DIR": str(folder / "var"),
        "INFERENCE_BACKEND": "memory",
        "INFERENCE_EXECUTION": "worker",  # detection jobs stay queued for a worker that is not running
        "LOG_LEVEL": "WARNING",
    }
    ports = free_ports(2)
    with daphne_processes(ports, env, folder):
        os.environ["RACE_DAPHNE_PORTS"] = ",".join(map(str, ports))
        yield ports
        os.environ.pop("RACE_DAPHNE_PORTS", None)
