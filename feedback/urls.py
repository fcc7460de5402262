"""Root pages of the feedback app."""

from django.urls import path

from feedback import views

app_name = "feedback"

urlpatterns = [
    path("projects/<id:project_id>/dashboard/", views.dashboard, name="dashboard"),
]
