"""Shared by the live revocation test and `bench/revocation.py`: real HTTP calls against a Daphne process."""

import http.cookies
import json
import time
import urllib.request

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed


def request(port: int, method: str, path: str, *, token=None, cookies=None, body=None, headers=None):
    """(status, parsed JSON or None, Set-Cookie values) of one request; never raises on 4xx."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        all_headers["Authorization"] = f"Token {token}"
    if cookies:
        all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=all_headers, method=method)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        response = opener.open(req, timeout=20)
    except urllib.error.HTTPError as error:
        response = error
    raw = response.read()
    jar = http.cookies.SimpleCookie()
    for value in response.headers.get_all("Set-Cookie") or []:
        jar.load(value)
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return response.status, parsed, {k: m.value for k, m in jar.items()}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def log_out(port: int, session: str) -> int:
    """POST /accounts/logout/ as a browser would: CSRF cookie and header, same Origin."""
    _, _, cookies = request(port, "GET", "/accounts/login/")
    csrf = cookies["csrftoken"]
    status, _, _ = request(
        port,
        "POST",
        "/accounts/logout/",
        cookies={"sessionid": session, "csrftoken": csrf},
        headers={"X-CSRFToken": csrf, "Origin": f"http://127.0.0.1:{port}", "Content-Type": "text/plain"},
    )
    return status


async def open_socket(port: int, path: str, session: str):
    ws = await connect(
        f"ws://127.0.0.1:{port}{path}",
        origin=f"http://127.0.0.1:{port}",
        additional_headers=[("Cookie", f"sessionid={session}")],
        proxy=None,
        open_timeout=20,
    )
    state = json.loads(await ws.recv())
    assert state["type"] == "state", state
    return ws


async def until_closed(ws) -> tuple[list[str], float]:
    """Types of the messages received until the server closes the socket, and when it closed."""
    kinds = []
    try:
        while True:
            kinds.append(json.loads(await ws.recv())["type"])
    except ConnectionClosed:
        return kinds, time.monotonic()
