import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from annotations.models import Role
from inference.status import STATUS_KEY
from tests.channel_layers import RecordingChannelLayer
from tests.factories import ImageFactory, LabelFactory, MembershipFactory, ProjectFactory, UserFactory


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test writes media under its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.UPLOAD_PARTIAL_DIR = tmp_path / "uploads-partial"
    settings.DVC_REPO_DIR = tmp_path / "datasets"
    settings.DVC_REMOTE_URL = str(tmp_path / "dvc-remote")
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def no_periodic_work_in_the_test_process(settings):
    """No background scheduler in pytest itself: it would reap and flush other tests' rows.

    Worker and Daphne subprocesses started by tests run theirs (their own settings)."""
    settings.PERIODIC_WORK_SECONDS = 0


@pytest.fixture(autouse=True)
def no_worker_status_report():
    """Each test starts with no job-running process reported (the cache may be a shared Redis)."""
    cache.delete(STATUS_KEY)
    yield
    cache.delete(STATUS_KEY)


@pytest.fixture
def project(db):
    return ProjectFactory()


@pytest.fixture
def label(project):
    return LabelFactory(project=project, name="person")


@pytest.fixture
def image(project):
    return ImageFactory(project=project, width=640, height=480)


def _member(project, role, username):
    user = UserFactory(username=username)
    MembershipFactory(project=project, user=user, role=role)
    return user


@pytest.fixture
def annotator(project):
    return _member(project, Role.ANNOTATOR, "anna")


@pytest.fixture
def reviewer(project):
    return _member(project, Role.REVIEWER, "rita")


@pytest.fixture
def manager(project):
    return _member(project, Role.MANAGER, "max")


@pytest.fixture
def outsider(db):
    """Logged in, but a member of no project here."""
    return UserFactory(username="olga")


@pytest.fixture
def staff(db):
    return UserFactory(username="sam", is_staff=True)


@pytest.fixture
def client_for():
    """`client_for(user)` is an API client authenticated as that user (None: anonymous)."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture(autouse=True)
def fast_password_hashing(request, settings):
    """Hashing with PBKDF2 costs up to a second per user on a loaded machine; tests don't need it.

    Not for tests against a live server: its own process checks passwords with the real hashers.
    """
    if "live_url" in request.fixturenames or request.node.get_closest_marker("browser"):
        return
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sent(settings, monkeypatch):
    """Every broadcast that actually leaves (i.e. after commit), as (group, type, payload), read off
    the channel layer (an in-memory one that records its group messages)."""
    messages = []
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "tests.channel_layers.RecordingChannelLayer"}}
    monkeypatch.setattr(RecordingChannelLayer, "log", messages)
    return messages


@pytest.fixture(scope="session")
def _mlflow_dir(tmp_path_factory):
    # One sqlite store for the session: creating one runs MLflow's migrations (seconds).
    return tmp_path_factory.mktemp("mlflow")


@pytest.fixture
def mlflow_store(settings, _mlflow_dir):
    """The tracking URI of a real (sqlite) MLflow store, set as the app's setting."""
    uri = f"sqlite:///{_mlflow_dir / 'mlflow.db'}"
    settings.MLFLOW_TRACKING_URI = uri
    settings.MLFLOW_ARTIFACT_ROOT = str(_mlflow_dir / "artifacts")
    return uri


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """`collectstatic` as the compose `migrate` step runs it (DEBUG=0: hashed, compressed, with a manifest), once."""
    from tests.deploy.production import HOST, SECRET_KEY, manage

    static_root = tmp_path_factory.mktemp("static")
    env = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": HOST,
        "STATIC_ROOT": str(static_root),
        "HITL_VAR_DIR": str(tmp_path_factory.mktemp("var")),
        "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
    }
    result = manage("collectstatic", "--noinput", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return static_root
