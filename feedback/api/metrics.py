"""Routes and views: filled in by the feedback work."""

urlpatterns = []
