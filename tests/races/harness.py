"""Run requests at the same instant from threads, each with its own database connection, and
keep score of what every round ended as.

A scenario is a function that sets up one round, races its requests with `race(...)` and
asserts the final state through the API and the history. The requests go to the in-process
API (threads, one database connection each), or, with `RACE_DAPHNE_PORTS` set (`bench/races.py
--daphne`), over HTTP to real Daphne processes, the members' clients alternating between them
as behind a proxy. `run_rounds` runs a scenario N times
(`RACE_ROUNDS`, 5 by default; `bench/races.py` runs 50), keeps going after a wrong round so
the tally is complete, writes the tally to `RACE_REPORT` when set, and fails listing the
wrong rounds.
"""

import http.client
import itertools
import json
import os
import threading
import traceback
import uuid
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db import connection
from rest_framework.test import APIClient


def rounds_wanted() -> int:
    return int(os.environ.get("RACE_ROUNDS", "5"))


@dataclass
class Answer:
    """One raced request's answer: the status code and the JSON body (None when not JSON)."""

    status: int
    body: object

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


_last: list[Answer] = []


class HttpResponse:
    def __init__(self, status_code: int, content: bytes):
        self.status_code, self.content = status_code, content

    def json(self):
        return json.loads(self.content)


class DaphneClient:
    """The part of APIClient the scenarios use, over HTTP to a Daphne process with a token."""

    def __init__(self, port: int, token: str):
        self.port, self.headers = port, {"Authorization": f"Token {token}"}

    def _send(self, method, path, data=None, format=None):
        headers, body = dict(self.headers), None
        if format == "multipart":
            body, headers["Content-Type"] = _multipart(data)
        elif data is not None and method != "GET":
            body, headers["Content-Type"] = json.dumps(data).encode(), "application/json"
        elif data:
            path += ("&" if "?" in path else "?") + urlencode(data)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return HttpResponse(response.status, response.read())
        finally:
            conn.close()

    def get(self, path, data=None):
        return self._send("GET", path, data)

    def post(self, path, data=None, format=None):
        return self._send("POST", path, data, format)

    def patch(self, path, data=None, format=None):
        return self._send("PATCH", path, data, format)


def _multipart(data: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in data.items():
        for stream in value if isinstance(value, list) else [value]:
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{stream.name}"\r\n\r\n'
            parts.append(head.encode() + stream.read() + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


_next_port = itertools.count()


def api_client(user):
    """An API client authenticated as `user`: in-process, or on the next Daphne process in turn."""
    ports = [int(p) for p in os.environ.get("RACE_DAPHNE_PORTS", "").split(",") if p]
    if ports:
        from rest_framework.authtoken.models import Token

        token, _ = Token.objects.get_or_create(user=user)
        return DaphneClient(ports[next(_next_port) % len(ports)], token.key)
    # A 500 comes back as a response, as a browser would see it, instead of raising here.
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    return client


def race(*calls, timeout: float = 30) -> list[Answer]:
    """Run each thunk (a request, returning its response or an Answer) on its own thread and
    database connection, all released together at a barrier; returns their answers in order."""
    barrier = threading.Barrier(len(calls))
    answers: list[Answer | None] = [None] * len(calls)
    errors: list[str] = []

    def work(index, call):
        try:
            barrier.wait(timeout=timeout)
            response = call()
            if isinstance(response, Answer):  # a call that made several requests sums them up itself
                answers[index] = response
                return
            try:
                body = response.json()
            except (ValueError, TypeError):
                body = None
            answers[index] = Answer(response.status_code, body)
        except Exception:  # noqa: BLE001 - reported as the round's failure below
            errors.append(traceback.format_exc())
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout * 2)
    assert not errors, errors[0]
    assert all(answer is not None for answer in answers), "a raced request did not finish"
    _last[:] = answers  # the round's statuses count in the tally even when its checks fail
    return answers


def _report(scenario: str, outcomes: Counter, failures: list[str], rounds: int) -> None:
    path = os.environ.get("RACE_REPORT")
    if not path:
        return
    with open(path, "a") as handle:
        handle.write(json.dumps({
            "scenario": scenario,
            "rounds": rounds,
            "outcomes": {" ".join(map(str, key)): count for key, count in sorted(outcomes.items())},
            "wrong": len(failures),
            "first_wrong": failures[0][-600:] if failures else None,
        }) + "\n")  # fmt: skip


def run_rounds(scenario: str, one_round, rounds: int | None = None) -> Counter:
    """Run `one_round(index)` `rounds` times; every round counts, the tally keys are its statuses."""
    rounds = rounds or rounds_wanted()
    outcomes: Counter = Counter()
    failures: list[str] = []
    for index in range(rounds):
        _last.clear()
        try:
            one_round(index)
        except AssertionError as exc:
            failures.append(f"round {index}: {exc}")
        except Exception:  # noqa: BLE001 - a crash of the round is a wrong round too
            failures.append(f"round {index}: {traceback.format_exc()}")
        outcomes[tuple(a.status for a in _last) if _last else ("error",)] += 1
    _report(scenario, outcomes, failures, rounds)
    assert not failures, f"{scenario}: {len(failures)} of {rounds} rounds wrong; outcomes {dict(outcomes)}\n" + (
        "\n".join(failures[:3])
    )
    return outcomes

