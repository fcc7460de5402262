"""Shared fixtures for the Playwright tests: a real Daphne server and Debian's Chromium.

Fixtures (all in this folder; mark tests `@pytest.mark.browser`):

- `live_url` (function scope) -> "http://127.0.0.1:<port>": a Daphne subprocess serving
  `hitl_project.asgi:application` on pytest-django's TEST database. Requesting it gives the test
  `transactional_db`, so whatever the test writes (factories, services) is committed and visible to
  the server; the tables are flushed after the test.
  `settings.MEDIA_ROOT` is switched to the server's media folder, so files written by
  factories are the ones the server serves. The server uses the same `REDIS_URL`, so broadcasts from
  the test process reach its websocket consumers. Its log is printed when a test fails.
  One Daphne serves the whole session (start-up is seconds on a busy machine); a module that needs
  other server settings overrides `daphne_server` at module scope.
  Ports: `LIVE_SERVER_PORTS=8211-8229` restricts them to a range; by default the OS picks a free one.
- `live_ws_url` -> "ws://127.0.0.1:<port>" for the same server.
- `browser` (module scope): headless Chromium from `$CHROMIUM` or /usr/bin/chromium.
- `new_page(user, password="pass-word-123")` -> a Page in a fresh browser context (so two users
  never share cookies), logged in through the real login form and standing on the project list.
  `page.js_errors` collects uncaught exceptions and console errors of that page.
- `screenshot(page, name)` -> saves `var/screenshots/<name>.png` (repo-relative) and returns the path.
- `wait_for_js(page, "() => expression", timeout=10)`: polls the expression from Python until it is
  truthy and returns its value. Use it (or Playwright's `expect`) instead of `page.wait_for_function`,
  which evaluates strings with eval() once it has to poll, and the CSP (no 'unsafe-eval') refuses that.
- `run_off_loop(fn, *args, **kwargs)`: while Playwright's sync API is alive, the main thread has a
  running event loop, so `async_to_sync` (the broadcasts after a service's commit) cannot run there.
  Call services that broadcast through this helper: it runs `fn` in a worker thread and returns its result.
  Plain ORM/factory calls are fine in the test itself (DJANGO_ALLOW_ASYNC_UNSAFE is set while the
  browser is alive, only for these modules).
"""

import concurrent.futures
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection, connections

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "var" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "pass-word-123"  # tests/factories.py UserFactory


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _free_port() -> int:
    wanted = os.environ.get("LIVE_SERVER_PORTS", "")
    candidates = [0]
    if wanted:
        low, _, high = wanted.partition("-")
        candidates = list(range(int(low), int(high or low) + 1))
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"No free port in LIVE_SERVER_PORTS={wanted}")


def _database_url() -> str:
    """The URL of pytest-django's test database (its NAME is swapped in by django_db_setup)."""
    s = connection.settings_dict
    engine = s["ENGINE"].rsplit(".", 1)[-1]
    if engine == "sqlite3":
        name = str(s["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            pytest.skip("Browser tests need a database another process can open (set DATABASE_URL).")
        return f"sqlite:///{name}"
    scheme = {"postgresql": "postgres"}.get(engine, engine)
    auth = s["USER"] or ""
    if s["PASSWORD"]:
        auth += f":{s['PASSWORD']}"
    host = s["HOST"] or "127.0.0.1"
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"{scheme}://{auth}{'@' if auth else ''}{host}{port}/{s['NAME']}"


class DaphneServer:
    def __init__(self, *, port: int, media_root: Path, log_path: Path):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"
        self.media_root = media_root
        self.log_path = log_path
        self.process = None

    def start(self, database_url: str) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "hitl_project.settings",
            "MEDIA_ROOT": str(self.media_root),
            "DVC_REPO_DIR": str(self.media_root.parent / "datasets"),
            "UPLOAD_PARTIAL_DIR": str(self.media_root.parent / "uploads-partial"),
            # Runs the server sends (evaluations) go to a store of the session, never the repo's var/.
            "MLFLOW_TRACKING_URI": f"sqlite:///{self.media_root.parent / 'mlflow.db'}",
            "MLFLOW_ARTIFACT_ROOT": str(self.media_root.parent / "mlflow-artifacts"),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "hitl_project.asgi:application"],
            cwd=REPO,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Daphne exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Daphne did not answer within {timeout}s:\n{self.log()}")

    def log(self, since: int = 0) -> str:
        return self.log_path.read_bytes()[since:].decode(errors="replace")

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()


@pytest.fixture(scope="session")
def daphne_server(django_db_setup, tmp_path_factory):
    """One Daphne for the session on the test database; see `live_url`.

    A module that needs a differently configured server overrides this fixture at module scope
    (as tests/browser/test_ai_detect.py does) with its own `DaphneServer`.
    """
    folder = tmp_path_factory.mktemp("daphne")
    (folder / "media").mkdir()
    server = DaphneServer(port=_free_port(), media_root=folder / "media", log_path=folder / "daphne.log")
    server.start(_database_url())
    yield server
    server.stop()


def daphne_with_env(env: dict, tmp_path_factory, name: str) -> DaphneServer:
    """A started Daphne whose environment has `env` on top of the test's (for a module's own
    `daphne_server` fixture: e.g. jobs run in embedded mode by a detector of the tests)."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    folder = tmp_path_factory.mktemp(name)
    (folder / "media").mkdir()
    server = DaphneServer(port=_free_port(), media_root=folder / "media", log_path=folder / "daphne.log")
    try:
        server.start(_database_url())
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return server


@pytest.fixture
def live_url(request, daphne_server, transactional_db, settings, media_root):
    """Base URL of the live server; the test's writes are committed and its media is the server's."""
    settings.MEDIA_ROOT = daphne_server.media_root
    settings.UPLOAD_PARTIAL_DIR = daphne_server.media_root.parent / "uploads-partial"
    start = daphne_server.log_size()
    yield daphne_server.url
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"----- Daphne log during {request.node.name} -----\n{daphne_server.log(start)[-20000:]}")
    # The server outlives the test: a websocket disconnect or a last request of the page just closed may
    # still be in a transaction. The flush that follows (TRUNCATE of every table) taking its locks while
    # that transaction holds one would deadlock (seen in CI); wait until the server is quiet first.
    wait_until_database_idle()


def wait_until_database_idle(timeout: float = 15, quiet_for: float = 0.3) -> None:
    """Return once no other session on the test database has been busy for `quiet_for` seconds."""
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
            busy = cursor.fetchone()[0]
        now = time.monotonic()
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= quiet_for:
            return
        time.sleep(0.05)


@pytest.fixture
def live_ws_url(live_url, daphne_server):
    return daphne_server.ws_url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (or `make browser-deps`).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls made here are
    # still synchronous, so Django's async-safety check is relaxed for as long as the browser lives.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser, live_url):
    """`new_page(user)` -> a Page logged in as `user` through the login form, in its own context."""
    contexts = []

    def make(user, password: str = PASSWORD, *, viewport=(1280, 860)):
        context = browser.new_context(base_url=live_url, viewport={"width": viewport[0], "height": viewport[1]})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        page.on("console", lambda msg: msg.type == "error" and page.js_errors.append(msg.text))
        page.goto("/accounts/login/")
        page.fill("#id_username", user.get_username())
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_url}/")
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    def save(page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def wait_for_js():
    def wait(page, expression: str, timeout: float = 10, arg=None):
        deadline = time.monotonic() + timeout
        while True:
            value = page.evaluate(expression, arg)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"Still false after {timeout}s: {expression}")
            page.wait_for_timeout(50)

    return wait


@pytest.fixture
def run_off_loop():
    def run(fn, *args, **kwargs):
        def target():
            try:
                return fn(*args, **kwargs)
            finally:
                connections.close_all()

        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(target).result()

    return run
