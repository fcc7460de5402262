"""Configuration comes from the environment; production refuses to start without its secrets."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def clean_environment(tmp_path: Path) -> dict:
    """This process's environment without the settings under test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k not in {"REDIS_URL", "DATABASE_URL"}}
    env["HITL_VAR_DIR"] = str(tmp_path / "var")
    return env


def manage(*args, env_extra: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    env = clean_environment(tmp_path)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_deploy_checks_pass_with_production_settings(tmp_path):
    """`check --deploy` is clean when debug is off and a key and hosts are given."""
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
            "DJANGO_ALLOWED_HOSTS": "annotate.example.com",
        },
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = manage("check", env_extra={"DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "x.example"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
    assert not (tmp_path / "var" / "secret_key").exists()


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    result = manage(
        "check", env_extra={"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(60)}, tmp_path=tmp_path
    )
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must be set" in result.stderr


def test_embedded_run_mints_one_secret_key_and_keeps_it(tmp_path):
    """Without DJANGO_SECRET_KEY a debug run writes a key to var/ once, readable only by its owner."""
    first = manage("shell", "--no-imports", "-c", "from django.conf import settings; print(settings.SECRET_KEY)", env_extra={},
                   tmp_path=tmp_path)
    second = manage("shell", "--no-imports", "-c", "from django.conf import settings; print(settings.SECRET_KEY)", env_extra={},
                    tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "var" / "secret_key"
    assert key_file.read_text().strip() == first.stdout.strip() == second.stdout.strip()
    assert len(first.stdout.strip()) >= 50
    assert key_file.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("env", "engine", "layer"),
    [
        ({}, "django.db.backends.sqlite3", "channels.layers.InMemoryChannelLayer"),
        (
            {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test", "REDIS_URL": "redis://127.0.0.1:6379/0"},
            "django.db.backends.postgresql",
            "channels_redis.core.RedisChannelLayer",
        ),
    ],
)
def test_database_and_channel_layer_follow_the_environment(tmp_path, env, engine, layer):
    code = (
        "from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE']); print(settings.CHANNEL_LAYERS['default']['BACKEND'])"
    )
    result = manage("shell", "--no-imports", "-c", code, env_extra=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [engine, layer]


POOL_PROBE = """
import threading
from django.db import connection
pids = []
def request():  # what Daphne does per sync request: a fresh thread, a query, the connection closed
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pids.append(cursor.fetchone()[0])
    connection.close()
for _ in range(12):
    thread = threading.Thread(target=request)
    thread.start()
    thread.join()
print(len(pids), len(set(pids)))
"""


@pytest.mark.parametrize(("pool_size", "most_backends"), [("0", 12), ("4", 4)])
def test_a_pool_reuses_postgresql_connections_across_request_threads(tmp_path, pool_size, most_backends):
    """Without a pool each request thread opens its own connection; with DATABASE_POOL_SIZE they share."""
    env = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test", "DATABASE_POOL_SIZE": pool_size}
    result = manage("shell", "--no-imports", "-c", POOL_PROBE, env_extra=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    requests, backends = map(int, result.stdout.split())
    assert requests == 12
    assert backends == most_backends if pool_size == "0" else 1 <= backends <= most_backends


def test_migrations_are_complete(tmp_path):
    """Every model change has its migration committed."""
    result = manage("makemigrations", "--check", "--dry-run", env_extra={}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_web_process_does_not_import_model_libraries(tmp_path):
    """torch, transformers, cv2 and mlflow load lazily, in the worker, never at start-up."""
    code = (
        "import sys, hitl_project.asgi; "
        "print(sorted(m for m in ('torch', 'transformers', 'cv2', 'mlflow', 'dvc') if m in sys.modules))"
    )
    env = clean_environment(tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "hitl_project.settings"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _allowed_hosts(tmp_path, **env) -> subprocess.CompletedProcess:
    code = "from django.conf import settings; print(','.join(settings.ALLOWED_HOSTS))"
    return manage("shell", "-c", code, env_extra=env, tmp_path=tmp_path)


def test_a_debug_run_on_loopback_answers_the_local_names(tmp_path):
    result = _allowed_hosts(tmp_path, HITL_BIND_HOST="127.0.0.1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "localhost,127.0.0.1,[::1],testserver"


def test_a_debug_run_on_a_network_address_needs_the_names_given(tmp_path):
    """DEBUG's implicit localhost names do not apply to a bind other machines can reach."""
    refused = _allowed_hosts(tmp_path, HITL_BIND_HOST="0.0.0.0")
    assert refused.returncode != 0
    assert "set DJANGO_ALLOWED_HOSTS" in refused.stderr
    named = _allowed_hosts(tmp_path, HITL_BIND_HOST="0.0.0.0", DJANGO_ALLOWED_HOSTS="annotate.lan")
    assert named.returncode == 0, named.stderr
    assert named.stdout.split()[-1] == "annotate.lan"


@pytest.mark.parametrize(("host", "bind"), [(None, "127.0.0.1"), ("0.0.0.0", "0.0.0.0")])
def test_make_run_binds_loopback_unless_told(host, bind):
    """`make run` serves 127.0.0.1; `HOST=0.0.0.0 make run` is the explicit way to serve the network."""
    args = ["make", "-n", "run"] + ([f"HOST={host}"] if host else [])
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "HOST")}
    plan = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert plan.returncode == 0, plan.stderr
    assert f"HITL_BIND_HOST={bind}" in plan.stdout
    assert f"daphne -b {bind} -p" in plan.stdout


@pytest.mark.parametrize(("redirect", "secure"), [("1", "True 31536000"), ("0", "False 0")])
def test_the_https_setting_decides_secure_cookies_and_hsts(tmp_path, redirect, secure):
    """Plain-HTTP mode (compose's default) must not set Secure cookies, which a browser would never send back."""
    code = "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE and s.CSRF_COOKIE_SECURE, " \
        "s.SECURE_HSTS_SECONDS)"
    env = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "a.example",
        "DJANGO_SECURE_SSL_REDIRECT": redirect,
    }
    result = manage("shell", "-c", code, env_extra=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == secure
