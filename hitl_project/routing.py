"""Websocket routes and background channel workers, collected from the apps."""

from annotations.routing import websocket_urlpatterns as annotation_routes
from inference.routing import channel_workers

websocket_urlpatterns = [*annotation_routes]

__all__ = ["websocket_urlpatterns", "channel_workers"]
