"""Routes and views: filled in by the export work."""

urlpatterns = []
