"""Real Daphne processes for cross-process tests and the fan-out benchmark."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = Path(sys.executable).with_name("daphne")


def free_ports(count: int) -> list[int]:
    """`count` distinct ports nothing listens on: picked by the OS (so suites sharing a machine do not
    collide on one fixed range), or taken from `LIVE_SERVER_PORTS=low-high` when that is set."""
    wanted = os.environ.get("LIVE_SERVER_PORTS", "")
    if wanted:
        low, _, high = wanted.partition("-")
        candidates = range(int(low), int(high or low) + 1)
    else:
        candidates = [0] * (count * 10)
    ports = []
    for candidate in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port = probe.getsockname()[1]
        if port not in ports:
            ports.append(port)
        if len(ports) == count:
            return ports
    raise RuntimeError(f"No {count} free ports (LIVE_SERVER_PORTS={wanted or 'unset'}).")


def wait_for(predicate, *, timeout: float = 90, what: str = "condition"):
    """Poll `predicate` every 0.1 s until it returns something true (returned), else fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def database_url(settings_dict: dict) -> str:
    user, password = settings_dict.get("USER") or "", settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host, port = settings_dict.get("HOST") or "127.0.0.1", settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


def server_env(*, media_root: Path, var_dir: Path) -> dict:
    """What a Daphne process needs to serve this test run: its database, Redis, the secret key (so the
    test's session cookies are valid there) and folders. Call it inside a test, once settings are ready."""
    from django.conf import settings
    from django.db import connection

    return {
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": os.environ["REDIS_URL"],
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "MEDIA_ROOT": str(media_root),
        "HITL_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
    }


def wait_until_listening(port: int, process: subprocess.Popen, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne on {port} exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"daphne on {port} did not listen within {timeout} s: {log.read_text()[-2000:]}")


def stop(processes: list[subprocess.Popen], timeout: float = 3) -> None:
    """Terminate, then kill what is still running after `timeout` (a test is done with it: no graceful drain)."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def daphne_processes(ports: list[int], env: dict, log_dir: Path, timeout: float = 60):
    """Start one Daphne per port with `env` added to this environment; stop them all on exit."""
    processes = []
    try:
        for port in ports:
            log = log_dir / f"daphne-{port}.log"
            process = subprocess.Popen(
                [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), "hitl_project.asgi:application"],
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            processes.append((port, process, log))
        for port, process, log in processes:
            wait_until_listening(port, process, timeout, log)
        yield processes
    finally:
        stop([process for _, process, _ in processes])
