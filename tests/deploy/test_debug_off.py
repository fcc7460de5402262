"""The DEBUG=0 deployment starts: static files collected, deploy checks clean, and a Daphne with the
environment docker-compose gives `web` serves the login page, the annotate page and its static files."""

import json
import os
from pathlib import Path

import pytest
from django.db import connection

from tests.deploy.production import HOST, Browser, manage, production_env, static_paths, with_real_password
from tests.live.daphne import daphne_processes, free_ports

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis server at REDIS_URL"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the server shares the test database"),
]


@pytest.fixture
def env(tmp_path, collected_static, media_root):
    redis_url = os.environ["REDIS_URL"]
    return production_env(tmp_path, static_root=collected_static, media_root=media_root, redis_url=redis_url)


def test_deploy_checks_pass_with_the_environment_a_deployment_sets(env):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "no issues" in result.stdout


def test_daphne_at_debug_0_serves_the_login_page_the_annotate_page_and_static_files(env, tmp_path, image, annotator):
    (port,) = free_ports(1)
    with daphne_processes([port], env, tmp_path):
        base = f"http://127.0.0.1:{port}"

        status, headers, _ = Browser(base, https=False).get("/accounts/login/")
        assert status == 301 and headers["Location"] == f"https://{HOST}/accounts/login/"  # TLS is required
        status, _, _ = Browser(base, host="evil.example").get("/accounts/login/")
        assert status == 400  # DisallowedHost: only the configured name is served

        browser = Browser(base)
        status, headers, page = browser.get("/accounts/login/")
        assert status == 200 and b"csrfmiddlewaretoken" in page
        assert "Strict-Transport-Security" in headers and "Content-Security-Policy" in headers
        browser.log_in(with_real_password(annotator).username)
        assert browser.cookies["sessionid"][1]  # the session cookie is Secure

        status, _, page = browser.get(f"/images/{image.pk}/")
        assert status == 200, page[:2000]
        assets = static_paths(page)
        manifest = json.loads((Path(env["STATIC_ROOT"]) / "staticfiles.json").read_text())["paths"]
        assert any(path.removeprefix("/static/") in manifest.values() for path in assets), assets  # hashed names
        for path in assets:
            status, headers, body = browser.get(path)
            assert status == 200 and body, path
            if path.removeprefix("/static/") in manifest.values():
                assert "immutable" in headers["Cache-Control"] or "max-age=315360000" in headers["Cache-Control"]

        status, headers, body = browser.get("/no-such-page/")
        assert status == 404 and b"Traceback" not in body  # DEBUG is off: no technical page

