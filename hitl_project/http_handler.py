"""Django's ASGI handler with the middleware run synchronously: one thread switch per request.

Every view of this site is synchronous, as are most middlewares. Django's ASGIHandler still loads
the middleware chain in async mode, so each `MiddlewareMixin` middleware hands its
`process_request` and `process_response` to a worker thread and back (`sync_to_async`), and a
sync-only one (WhiteNoise) hands the rest of the chain back to the event loop (`async_to_sync`):
about twenty thread switches for one box save, which cost more CPU than the save's SQL
(bench/api_boxes.py). This handler loads the chain in sync mode, as under WSGI, and runs the
whole request — middleware, view, rendering — in one `sync_to_async` call, in the request's
thread-sensitive context like any sync view. Reading the body, sending the response, the
request signals and websockets stay as Django and Channels do them.
"""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncMiddlewareASGIHandler(ASGIHandler):
    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
