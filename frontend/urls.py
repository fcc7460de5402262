"""Root pages. Each page is a template plus ES modules; the annotate route is added by the canvas work."""

from django.urls import path

from frontend import views, views_annotate, views_invites

app_name = "frontend"

urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("projects/<id:pk>/", views.project_detail, name="project-detail"),
    path("images/<id:image_id>/", views_annotate.annotate, name="annotate"),
    path("invites/<invite:token>/", views_invites.invite, name="invite"),
]
