"""HTTP through the ASGI application (hitl_project/http_handler.py): one switch to a lent, long-lived
thread per request, not one per middleware hook and a new thread per request as under Django's own
ASGIHandler. Counted, not timed: every `sync_to_async` and `async_to_sync` call of one request, the
threads that ran the views, the order of events around a streaming response."""

import asyncio
import itertools
import threading

import pytest
from asgiref import sync
from asgiref.sync import async_to_sync
from channels.testing import ApplicationCommunicator, HttpCommunicator
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.test import override_settings
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from annotations.broadcast import broadcast_on_commit
from hitl_project.http_handler import SyncMiddlewareASGIHandler

seen = []  # what the views below record, in order


@csrf_exempt
def thread_view(request):
    seen.append(("view", threading.get_ident()))
    return HttpResponse(request.body or b"ok")


def stream_view(request):
    """Three parts, or parts without end with `?endless`: only the client leaving stops those."""
    async def parts():
        try:
            for number in itertools.count():
                if number == 3 and "endless" not in request.GET:
                    break
                seen.append(("part", number))
                yield f"part {number};".encode()
                await asyncio.sleep(0)
        finally:
            seen.append(("generator closed", threading.get_ident()))

    return StreamingHttpResponse(parts())


urlpatterns = [path("thread/", thread_view), path("stream/", stream_view)]
this_urlconf = override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver", "localhost"])


@pytest.fixture
def record():
    seen.clear()

    def finished(**kwargs):
        seen.append(("request_finished", threading.get_ident()))

    request_finished.connect(finished)
    yield seen
    request_finished.disconnect(finished)


def _switches(monkeypatch, handler) -> tuple[dict, dict]:
    """(the answer to GET /api/projects/ without credentials, the thread switches it took by kind)."""
    counts = {"sync_to_async": 0, "async_to_sync": 0}
    for name, cls in (("sync_to_async", sync.SyncToAsync), ("async_to_sync", sync.AsyncToSync)):
        def counted(self, *args, _call=cls.__call__, _name=name, **kwargs):
            counts[_name] += 1
            return _call(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__call__", counted)
    response = async_to_sync(HttpCommunicator(handler, "GET", "/api/projects/", headers=[(b"host", b"localhost")]).get_response)()
    counts["async_to_sync"] -= 1  # the test's own call
    return response, counts


@pytest.mark.django_db(transaction=True)
def test_a_request_switches_to_a_thread_once_for_its_signals_middleware_view_and_close(monkeypatch):
    response, ours = _switches(monkeypatch, SyncMiddlewareASGIHandler())
    assert response["status"] == 401 and b"credentials" in response["body"]
    # request_started, the whole chain (middleware, view, rendering), response.close (request_finished)
    assert ours == {"sync_to_async": 1, "async_to_sync": 0}
    monkeypatch.undo()
    response, django_default = _switches(monkeypatch, ASGIHandler())
    assert response["status"] == 401
    # What this handler saves: Django's own took 20 here (19 sync_to_async, 1 async_to_sync).
    assert django_default["sync_to_async"] + django_default["async_to_sync"] > 10


def _get(handler, url, body=b""):
    return async_to_sync(HttpCommunicator(handler, "POST" if body else "GET", url, body=body, headers=[(b"host", b"localhost")]).get_response)()


@this_urlconf
def test_requests_run_on_the_lent_threads_only_and_finish_there(record, settings):
    settings.HTTP_THREADS = 2
    handler = SyncMiddlewareASGIHandler()
    threads_before = threading.active_count()
    for _ in range(6):
        assert _get(handler, "/thread/")["body"] == b"ok"
    views = {ident for kind, ident in record if kind == "view"}
    finishes = {ident for kind, ident in record if kind == "request_finished"}
    assert [kind for kind, _ in record].count("request_finished") == 6
    assert len(views) == 1 and finishes == views  # one request at a time: the warm thread, each time
    assert threading.get_ident() not in views
    assert threading.active_count() - threads_before <= 2  # no thread per request


@this_urlconf
def test_a_streaming_response_is_sent_whole_then_closed_on_the_request_thread(record):
    async def go():
        app = ApplicationCommunicator(SyncMiddlewareASGIHandler(), _scope("GET", "/stream/"))
        await app.send_input({"type": "http.request", "body": b""})
        messages = [await app.receive_output(timeout=5)]
        while messages[-1].get("more_body", messages[-1]["type"] == "http.response.start"):
            messages.append(await app.receive_output(timeout=5))
        await app.wait(timeout=5)
        return messages[0]["status"], b"".join(message.get("body", b"") for message in messages[1:])

    assert async_to_sync(go)() == (200, b"part 0;part 1;part 2;")
    kinds = [kind for kind, _ in record]
    assert kinds == ["part", "part", "part", "generator closed", "request_finished"]
    assert record[-1][1] != threading.get_ident()


@this_urlconf
def test_a_client_gone_mid_stream_stops_the_stream_and_still_closes_it(record):
    async def go():
        app = ApplicationCommunicator(SyncMiddlewareASGIHandler(), _scope("GET", "/stream/", b"endless"))
        await app.send_input({"type": "http.request", "body": b""})
        assert (await app.receive_output(timeout=5))["status"] == 200
        assert (await app.receive_output(timeout=5))["body"] == b"part 0;"
        await app.send_input({"type": "http.disconnect"})
        await app.wait(timeout=5)  # returns: the endless stream stopped

    async_to_sync(go)()
    kinds = [kind for kind, _ in record]
    assert kinds[-2:] == ["generator closed", "request_finished"] and kinds.count("part") >= 1


def _scope(method, url, query_string=b""):
    return {"type": "http", "http_version": "1.1", "method": method, "path": url, "raw_path": url.encode(),
            "query_string": query_string, "root_path": "", "scheme": "http", "headers": [(b"host", b"localhost")],
            "client": ("127.0.0.1", 1), "server": ("localhost", 80)}  # fmt: skip


@this_urlconf
def test_a_body_still_uploading_holds_no_thread(record, settings):
    """With one thread, a request whose body is still arriving does not stop another from being served."""
    settings.HTTP_THREADS = 1
    handler = SyncMiddlewareASGIHandler()

    async def go():
        slow = ApplicationCommunicator(handler, _scope("POST", "/thread/"))
        await slow.send_input({"type": "http.request", "body": b"first half,", "more_body": True})
        quick = await HttpCommunicator(handler, "GET", "/thread/", headers=[(b"host", b"localhost")]).get_response(timeout=5)
        assert quick["body"] == b"ok"
        await slow.send_input({"type": "http.request", "body": b"second half"})
        assert (await slow.receive_output(timeout=5))["status"] == 200
        assert (await slow.receive_output(timeout=5))["body"] == b"first half,second half"
        await slow.wait(timeout=5)

    async_to_sync(go)()
    assert [kind for kind, _ in record] == ["view", "request_finished", "view", "request_finished"]


@csrf_exempt
def broadcasting_view(request):
    with transaction.atomic():
        broadcast_on_commit("image.1", "box.updated", {"n": 1})
        broadcast_on_commit("image.1", "box.updated", {"n": 2})
    seen.append(("committed", None))
    broadcast_on_commit("image.1", "box.updated", {"n": 3})  # outside a transaction: at once
    if request.GET.get("fail"):
        raise RuntimeError("the view fails after its commit")
    return HttpResponse("ok")


urlpatterns.append(path("broadcast/", broadcasting_view))


@pytest.mark.django_db(transaction=True)
@this_urlconf
@pytest.mark.parametrize("fail", [False, True])
def test_a_requests_committed_broadcasts_leave_from_the_loop_in_order_before_its_response(record, sent, monkeypatch, fail):
    switches = {"async_to_sync": 0}

    def counted(self, *args, _call=sync.AsyncToSync.__call__, **kwargs):
        switches["async_to_sync"] += 1
        return _call(self, *args, **kwargs)

    async def go():
        monkeypatch.setattr(sync.AsyncToSync, "__call__", counted)
        app = ApplicationCommunicator(SyncMiddlewareASGIHandler(), _scope("GET", "/broadcast/", b"fail=1" if fail else b""))
        await app.send_input({"type": "http.request", "body": b""})
        start = await app.receive_output(timeout=5)
        record.append(("response", start["status"], len(sent)))
        await app.receive_output(timeout=5)
        await app.wait(timeout=5)

    with override_settings(DEBUG_PROPAGATE_EXCEPTIONS=False):
        asyncio.run(go())
    assert [payload["n"] for group, kind, payload in sent] == [1, 2, 3]  # a failure after its commit sends them too
    assert switches == {"async_to_sync": 0}  # no hop back to the loop from the request thread
    assert record[-1] == ("response", 500 if fail else 200, 3)  # all three were sent before the response
