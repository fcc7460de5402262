"""Confidence thresholds in use over REST: `GET, PUT /api/projects/{id}/thresholds/`.

GET (members): `{enabled, thresholds: {label: score}, since, source, before, after}` — the review
work before and after they were turned on (`before`/`after`: frames, predictions, rejected, kept,
rejected_per_frame, acceptance_rate; `after` adds hidden, hidden_per_frame; null while off).
PUT (managers) `{enabled: bool, target: 0.9}`: on learns the thresholds now from the decisions
(an MLflow run) and hides the AI boxes below them from review; answers the same plus `learned`
(every label's row, or why it has none). Nothing to learn yet → 400 saying why.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.access import project_get_for_user
from annotations.models import Role
from feedback.evaluation.threshold_use import thresholds_effect, thresholds_use
from feedback.evaluation.thresholds import DEFAULT_TARGET


class ThresholdsInput(serializers.Serializer):
    enabled = serializers.BooleanField()
    target = serializers.FloatField(required=False, default=DEFAULT_TARGET, min_value=0.01, max_value=1.0)


class ProjectThresholdsApi(APIView):
    @extend_schema(responses=dict)
    def get(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user)
        return Response(thresholds_effect(project_id=project.pk))

    @extend_schema(request=ThresholdsInput, responses=dict)
    def put(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user, role=Role.MANAGER)
        data = ThresholdsInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(thresholds_use(project=project, user=request.user, **data.validated_data))


urlpatterns = [
    path("projects/<id:project_id>/thresholds/", ProjectThresholdsApi.as_view(), name="project-thresholds"),
]
