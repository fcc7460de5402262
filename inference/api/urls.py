from django.urls import path

from inference.api import tracks, views

urlpatterns = [
    path("images/<id:image_id>/detect/", views.DetectApi.as_view(), name="inference-detect"),
    path("jobs/<id:pk>/", views.JobApi.as_view(), name="inference-job"),
    path("jobs/<id:pk>/cancel/", tracks.JobCancelApi.as_view(), name="inference-job-cancel"),
    path("tracks/<id:pk>/propagate/", tracks.PropagateApi.as_view(), name="inference-track-propagate"),
    path("images/<id:image_id>/predictions/", views.ImagePredictionsApi.as_view(), name="inference-predictions"),
    path(
        "images/<id:image_id>/predictions/accept-all/", views.AcceptAllApi.as_view(), name="inference-accept-all"
    ),
    path(
        "images/<id:image_id>/predictions/reject-all/", views.RejectAllApi.as_view(), name="inference-reject-all"
    ),
    path("predictions/<id:pk>/accept/", views.AcceptApi.as_view(), name="inference-accept"),
    path("predictions/<id:pk>/reject/", views.RejectApi.as_view(), name="inference-reject"),
    path("inference/status/", views.StatusApi.as_view(), name="inference-status"),
]
