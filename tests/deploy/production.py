"""The production path as a deployment runs it: DEBUG=0 settings from the environment, collected static
files, real Daphne processes, and an HTTP client that behaves like a browser behind TLS (it sends
`Secure` cookies only over https and the CSRF Referer/Origin a browser sends)."""

import http.client
import os
import http.cookies
import re
import ssl
import subprocess
import sys
import urllib.parse
from pathlib import Path

from django.db import connection

from tests.live.daphne import database_url

ROOT = Path(__file__).resolve().parents[2]
HOST = "annotate.example.com"
SECRET_KEY = "deploy-test-key-" + "x" * 50  # a test-only key: production reads DJANGO_SECRET_KEY
PASSWORD = "pass-word-123"  # tests/factories.py UserFactory


def production_env(tmp_path: Path, *, static_root: Path, media_root: Path, redis_url: str, ssl_redirect: bool = True):
    """What docker-compose.yml sets for `web` (secrets and hosts as an operator would), on the test database."""
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        "DJANGO_SECURE_SSL_REDIRECT": "1" if ssl_redirect else "0",
        "NUM_PROXIES": "1",
        "DATABASE_URL": database_url(connection.settings_dict),
        "DATABASE_CONN_MAX_AGE": "60",
        "DATABASE_POOL_SIZE": "4",
        "REDIS_URL": redis_url,
        "STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(media_root),
        "HITL_VAR_DIR": str(tmp_path / "var"),
        "LOG_LEVEL": "WARNING",
    }


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") or k == "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def unverified_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def with_real_password(user):
    """The server checks passwords with the production hashers (the suite hashes with MD5 for speed)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])
    return user


class Browser:
    """Just enough of a browser: a cookie jar that honours `Secure`, CSRF headers, no redirect following."""

    def __init__(self, base: str, *, https: bool = True, host: str = HOST, forwarded_proto: bool = True):
        self.base, self.https, self.host = base, https, host
        self.forwarded_proto = forwarded_proto  # a TLS-terminating proxy's header, when talking to Daphne directly
        self.cookies: dict[str, tuple[str, bool]] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        url = urllib.parse.urlsplit(self.base)
        if url.scheme == "https":  # the proxy's self-signed test certificate
            conn = http.client.HTTPSConnection(url.hostname, url.port, timeout=30, context=unverified_tls())
        else:
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        sent = {"Host": self.host}
        if self.forwarded_proto:
            sent["X-Forwarded-Proto"] = "https" if self.https else "http"
        jar = [f"{name}={value}" for name, (value, secure) in self.cookies.items() if self.https or not secure]
        if jar:
            sent["Cookie"] = "; ".join(jar)
        sent.update(headers or {})
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(header).items():
                self.cookies[name] = (morsel.value, bool(morsel["secure"]))
        return response.status, response.headers, content

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def log_in(self, username: str, password: str = PASSWORD) -> int:
        status, _, page = self.get("/accounts/login/")
        assert status == 200, page[:500]
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        origin = f"{'https' if self.https else 'http'}://{self.host}"
        form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
        status, headers, _ = self.request(
            "POST",
            "/accounts/login/",
            body=form.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": origin,
                "Referer": f"{origin}/accounts/login/",
            },
        )
        assert status == 302 and "sessionid" in self.cookies, (status, dict(headers))
        return status


def static_paths(page: bytes) -> list[str]:
    """The /static/ URLs a page references (scripts and stylesheets)."""
    return sorted({m.decode() for m in re.findall(rb'(?:src|href)="(/static/[^"]+)"', page)})
