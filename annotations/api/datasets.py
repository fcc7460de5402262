"""Dataset versions over REST.

- `GET /api/projects/{id}/datasets/` — the project's exports, newest first (members).
- `POST /api/projects/{id}/datasets/` — `{format, only}`: export and version it with DVC now (managers).
- `GET /api/datasets/{id}/download/` — the exported folder as a zip stream (managers).
"""

from django.http import StreamingHttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.access import project_get_for_user, require_role
from annotations.api.pagination import Pagination
from annotations.errors import NotFound
from annotations.exports.download import dataset_files_check, zip_stream
from annotations.exports.rows import ONLY_STATUSES
from annotations.exports.service import WRITERS
from annotations.models import DatasetVersion, Role
from annotations.dataset_versions import dataset_version_create


class DatasetOutput(serializers.ModelSerializer):
    class Meta:
        model = DatasetVersion
        fields = ["id", "project", "format", "only", "path", "git_rev", "dvc_hash", "counts", "mlflow_run_id",
                  "created_by", "created_at"]


class DatasetCreateInput(serializers.Serializer):
    format = serializers.ChoiceField(choices=sorted(WRITERS))
    only = serializers.ChoiceField(choices=list(ONLY_STATUSES), default="approved")


class ProjectDatasetsApi(APIView):
    @extend_schema(responses=DatasetOutput(many=True))
    def get(self, request, pk):
        project = project_get_for_user(pk=pk, user=request.user)
        paginator = Pagination()
        page = paginator.paginate_queryset(DatasetVersion.objects.filter(project=project).order_by("-id"), request)
        return paginator.get_paginated_response(DatasetOutput(page, many=True).data)

    @extend_schema(request=DatasetCreateInput, responses={201: DatasetOutput})
    def post(self, request, pk):
        project = project_get_for_user(pk=pk, user=request.user, role=Role.MANAGER)
        data = DatasetCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        # Synchronous: a typical project exports in seconds, and the caller wants the version back.
        dataset = dataset_version_create(project=project, user=request.user, **data.validated_data)
        return Response(DatasetOutput(dataset).data, status=status.HTTP_201_CREATED)


class DatasetDownloadApi(APIView):
    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        dataset = _dataset_get(pk)
        require_role(user=request.user, project_id=dataset.project_id, role=Role.MANAGER)
        folder = dataset_files_check(dataset=dataset)
        response = StreamingHttpResponse(zip_stream(folder), content_type="application/zip")
        name = f"project-{dataset.project_id}-{dataset.format}-{dataset.only}-v{dataset.pk}.zip"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


def _dataset_get(pk) -> DatasetVersion:
    try:
        return DatasetVersion.objects.get(pk=int(pk))
    except (ValueError, OverflowError, DatasetVersion.DoesNotExist):
        raise NotFound() from None


urlpatterns = [
    path("projects/<id:pk>/datasets/", ProjectDatasetsApi.as_view(), name="project-datasets"),
    path("datasets/<id:pk>/download/", DatasetDownloadApi.as_view(), name="dataset-download"),
]
