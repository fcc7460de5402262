"""Django's ASGI handler run like a threaded WSGI server: one switch to a long-lived thread per request.

Every view of this site is synchronous, as are most middlewares. Django's ASGIHandler, as shipped:
- loads the middleware chain in async mode, so each `MiddlewareMixin` middleware hands its
  `process_request` and `process_response` to a worker thread and back, and a sync-only one
  (WhiteNoise) hands the rest of the chain back to the event loop: about twenty thread switches
  for one box save;
- starts a new thread for every request (a fresh `ThreadSensitiveContext` gets a fresh
  one-thread executor, and shutting it down joins it from yet another thread), so a request
  also pays for two thread starts and can never reuse its thread's database connection;
- switches three times: the `request_started` receivers, the response, `response.close()`.
Together they cost more CPU than the save's SQL (bench/api_boxes.py). This handler loads the
chain in sync mode, as under WSGI, reads the body on the event loop, then runs the
`request_started` receivers, the middleware, the view, the rendering and — for a response
already in memory — `close()` (the `request_finished` receivers) in one call on one of
`HTTP_THREADS` long-lived threads, lent to the request as its thread-sensitive context so that
sync code it calls keeps asgiref's semantics. Streaming responses (files) are sent as Django
sends them, stopped when the client goes away, then closed on the same thread. The websocket
messages of the request's committed changes are queued meanwhile and sent from the event loop
before the response (annotations/broadcast.py). Websockets and channel workers do not come here.
"""

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix

from annotations.broadcast import broadcasts_held, broadcasts_send


class RequestThreads:
    """A fixed set of one-thread executors; a request borrows one for all its synchronous work.

    One thread per executor because a thread-sensitive context must run one call at a time on one
    thread. Last returned, first lent: a warm thread keeps its CPU caches and database connection.
    """

    def __init__(self, count: int):
        self._count = count
        self._idle: asyncio.LifoQueue | None = None

    def _queue(self) -> asyncio.LifoQueue:
        if self._idle is None:  # made on the serving loop, on first use
            self._idle = asyncio.LifoQueue()
            for number in range(self._count):
                self._idle.put_nowait(ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"http-{number}"))
        return self._idle

    @contextlib.asynccontextmanager
    async def lend(self):
        idle = self._queue()
        executor = await idle.get()
        try:
            yield executor
        finally:
            idle.put_nowait(executor)


class SyncMiddlewareASGIHandler(ASGIHandler):
    def __init__(self):
        super().__init__()
        self.threads = RequestThreads(settings.HTTP_THREADS)

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)  # before borrowing: a slow upload holds no thread
        except RequestAborted:
            return
        try:
            async with self.threads.lend() as executor, ThreadSensitiveContext(executor=executor):
                response, broadcasts = await sync_to_async(self.respond, thread_sensitive=True)(scope, body_file)
                await broadcasts_send(broadcasts)  # before the response, as when they were sent at commit
                if response.streaming:
                    await self.stream(response, receive, send)
                else:
                    await self.send_response(response, send)
        finally:
            body_file.close()

    def respond(self, scope, body_file):
        """Everything synchronous about a request, on its borrowed thread, as a WSGI server does it;
        (the response, the websocket messages its committed changes queued for the loop to send)."""
        with broadcasts_held() as broadcasts:
            return self._respond(scope, body_file), broadcasts

    def _respond(self, scope, body_file):
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size  # the ASGI server does the low-level chunking
        if not response.streaming:
            response.close()  # its content is in memory; sends request_finished
        return response

    async def stream(self, response, receive, send):
        """Send a streaming response until done or until the client disconnects, then close it."""
        sending = asyncio.ensure_future(self.send_response(response, send))
        listening = asyncio.ensure_future(self.listen_for_disconnect(receive))
        try:
            await asyncio.wait([sending, listening], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sending, listening):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, RequestAborted):
                    await task
            await sync_to_async(response.close, thread_sensitive=True)()
