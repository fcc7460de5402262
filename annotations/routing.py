"""Websocket routes of frames and projects."""

from django.urls import path

from annotations.consumers import ImageConsumer, ProjectConsumer

websocket_urlpatterns = [
    path("ws/images/<id:image_id>/", ImageConsumer.as_asgi()),
    path("ws/projects/<id:project_id>/", ProjectConsumer.as_asgi()),
]
