"""Root pages of the feedback app."""

from django.urls import path

from feedback import views

app_name = "feedback"

urlpatterns = [
    path("projects/<int:project_id>/dashboard/", views.dashboard, name="dashboard"),
]
