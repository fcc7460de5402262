"""Websocket routes of frames and projects (consumers come with live review)."""

websocket_urlpatterns = []
