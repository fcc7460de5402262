"""ASGI entry point: HTTP goes to Django, websockets to the consumers, `inference` channel to the worker."""

import asyncio
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hitl_project.settings")
django.setup(set_prefix=False)  # what get_asgi_application() does before making its handler

from hitl_project.http_handler import SyncMiddlewareASGIHandler  # noqa: E402  (needs the app registry)

django_asgi_app = SyncMiddlewareASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs the app registry)
from channels.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from hitl_project.routing import channel_workers, websocket_urlpatterns  # noqa: E402

from inference.supervisor import embedded_worker_warm  # noqa: E402


class StartsTheEmbeddedWorker:
    """Starts the embedded detector process on the server's first connection, on the server's loop.

    Embedded mode has no worker command: that child does the periodic work (MLflow runs, idle
    sessions, the reaper), so it must not wait for the first detection. Daphne sends no ASGI
    lifespan events, so the first connection is the earliest moment the serving loop is known;
    importing this module (management commands, tests) starts nothing.
    """

    def __init__(self, app):
        self.app = app
        self.started = False

    async def __call__(self, scope, receive, send):
        if not self.started:
            self.started = True
            embedded_worker_warm(asyncio.get_running_loop())
        return await self.app(scope, receive, send)


application = StartsTheEmbeddedWorker(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
            "channel": ChannelNameRouter(channel_workers),
        }
    )
)
