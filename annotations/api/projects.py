"""Routes and views: filled in by the API work."""

urlpatterns = []
