"""Token auth and projects over REST. Thin: parse → service → serialize.

- `POST /api/auth/token/` — `{username, password}` → `{token}`.
- `GET, POST /api/projects/` — the caller's projects (staff: all) with `role`, `status_counts`,
  `image_count`, `box_count`, `feedback_image_count`, `member_count`; `?name=` filters.
  Who may create a project is `PROJECT_CREATORS` (all signed-in users, or staff); the creator
  becomes its manager. `allow_self_review` (default false): may a reviewer review a frame they
  submitted themselves. `labels: [{name, color, prompt}]` are created with the project (all or nothing).
- `GET, PATCH, DELETE /api/projects/{id}/` — members read, managers write.

Members (`annotations.api.members`), labels (`annotations.api.labels`) and frames
(`annotations.api.images`, `annotations.api.uploads`) keep their views and routes beside this
module; their routes are included here.
"""

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.access import project_get_for_user
from annotations.api import images, labels, members, uploads
from annotations.api.labels import LabelInput
from annotations.api.pagination import Pagination
from annotations.filters import ProjectFilter
from annotations.login_throttle import ClientAddressThrottle, lockout_message, retry_after
from annotations.models import Role
from annotations.selectors.images import project_with_counts, projects_with_counts, status_counts
from annotations.services.projects import project_create, project_delete, project_update


class TokenApi(ObtainAuthToken):
    """`{username, password}` → `{token}`; wrong credentials are a 400 JSON error.

    Throttled twice (annotations.login_throttle): 20 requests a minute per client address, and
    failed logins per username and per address (django-axes) — a locked-out login, even with the
    right password, is a 429 saying when to retry.
    """

    permission_classes = [AllowAny]
    throttle_classes = [ClientAddressThrottle]
    throttle_scope = "token"

    @extend_schema(
        request=inline_serializer(
            "TokenInput", {"username": serializers.CharField(), "password": serializers.CharField()}
        ),
        responses=inline_serializer("TokenOutput", {"token": serializers.CharField()}),
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid() and getattr(request, "axes_locked_out", False):
            seconds, _ = retry_after(request)
            return Response(
                {"detail": lockout_message(request)},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(seconds)},
            )
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


# --- projects ------------------------------------------------------------------------------


class StatusCountsOutput(serializers.Serializer):
    new = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    submitted = serializers.IntegerField()
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()


class ProjectOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)
    created_at = serializers.DateTimeField()
    allow_self_review = serializers.BooleanField(
        help_text="May a reviewer approve or reject a frame they submitted themselves."
    )
    role = serializers.CharField(allow_null=True, help_text="The caller's role; staff read as manager.")
    image_count = serializers.IntegerField()
    status_counts = serializers.SerializerMethodField()
    box_count = serializers.IntegerField()
    feedback_image_count = serializers.IntegerField(help_text="Frames with at least one rating.")
    member_count = serializers.IntegerField()

    def get_status_counts(self, project) -> StatusCountsOutput:
        return status_counts(project)


class ProjectCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000, default="")
    allow_self_review = serializers.BooleanField(required=False, default=False)
    labels = LabelInput(many=True, required=False, help_text="Labels created with the project.")


class ProjectUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    allow_self_review = serializers.BooleanField(required=False)


class ProjectListApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("name", str, description="Part of the name, any case.")],
        responses=ProjectOutput(many=True),
    )
    def get(self, request):
        projects = ProjectFilter(request.query_params, queryset=projects_with_counts(user=request.user)).qs
        paginator = Pagination()
        page = paginator.paginate_queryset(projects, request, view=self)
        return paginator.get_paginated_response(ProjectOutput(page, many=True).data)

    @extend_schema(request=ProjectCreateInput, responses={201: ProjectOutput})
    def post(self, request):
        data = ProjectCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        project = project_create(user=request.user, **data.validated_data)
        return Response(
            ProjectOutput(project_with_counts(pk=project.pk, user=request.user)).data, status=status.HTTP_201_CREATED
        )


class ProjectDetailApi(APIView):
    @extend_schema(responses=ProjectOutput)
    def get(self, request, pk):
        project = project_get_for_user(pk=pk, user=request.user)
        return Response(ProjectOutput(project_with_counts(pk=project.pk, user=request.user)).data)

    @extend_schema(request=ProjectUpdateInput, responses=ProjectOutput)
    def patch(self, request, pk):
        project = project_get_for_user(pk=pk, user=request.user, role=Role.MANAGER)
        data = ProjectUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        project_update(project=project, user=request.user, **data.validated_data)
        return Response(ProjectOutput(project_with_counts(pk=project.pk, user=request.user)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        project = project_get_for_user(pk=pk, user=request.user, role=Role.MANAGER)
        project_delete(project=project, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("auth/token/", TokenApi.as_view(), name="api-token"),
    path("projects/", ProjectListApi.as_view(), name="project-list"),
    path("projects/<id:pk>/", ProjectDetailApi.as_view(), name="project-detail"),
    *members.urlpatterns,
    *labels.urlpatterns,
    *images.urlpatterns,
    *uploads.urlpatterns,
]
