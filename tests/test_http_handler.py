"""HTTP through the ASGI application: the middleware chain and the view run in one switch to a
worker thread (hitl_project/http_handler.py), not one per middleware hook as under Django's own
ASGIHandler. Counted, not timed: every `sync_to_async` and `async_to_sync` call of one request."""

import pytest
from asgiref import sync
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.core.handlers.asgi import ASGIHandler

from hitl_project.http_handler import SyncMiddlewareASGIHandler


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
def test_a_request_switches_to_a_thread_for_its_signals_and_once_for_all_its_middleware_and_view(monkeypatch):
    response, ours = _switches(monkeypatch, SyncMiddlewareASGIHandler())
    assert response["status"] == 401 and b"credentials" in response["body"]
    # request_started, the whole chain (middleware, view, rendering), response.close (request_finished)
    assert ours == {"sync_to_async": 3, "async_to_sync": 0}
    monkeypatch.undo()
    response, django_default = _switches(monkeypatch, ASGIHandler())
    assert response["status"] == 401
    # What this handler saves: Django's own took 20 here (19 sync_to_async, 1 async_to_sync).
    assert django_default["sync_to_async"] + django_default["async_to_sync"] > 10
