"""Token auth, projects, members and labels over REST. Thin: parse → service → serialize.

- `POST /api/auth/token/` — `{username, password}` → `{token}`.
- `GET, POST /api/projects/` — the caller's projects (staff: all) with `role`, `status_counts`,
  `image_count`, `box_count`, `feedback_image_count`, `member_count`; `?name=` filters.
  Who may create a project is `PROJECT_CREATORS` (all signed-in users, or staff); the creator
  becomes its manager. `allow_self_review` (default false): may a reviewer review a frame they
  submitted themselves. `labels: [{name, color, prompt}]` are created with the project (all or nothing).
- `GET, PATCH, DELETE /api/projects/{id}/` — members read, managers write.
- `GET, POST /api/projects/{id}/members/` · `PATCH, DELETE /api/projects/{id}/members/{user_id}/` —
  POST `{username, role}` adds (201) or changes the role (200); `username` is the exact username
  or an e-mail address, and an unknown or inactive account gets one and the same 400, so a
  manager learns nothing about accounts outside their projects. `{user: id, role}` adds anyone
  for staff; for a manager it only names someone already in the project. PATCH `{role}`.
- `GET, POST /api/projects/{id}/labels/` · `GET, PATCH, DELETE /api/labels/{id}/` — listed by
  `position` (then id); `POST /api/projects/{id}/labels/order/ {labels: [ids]}` reorders them.
  DELETE of a label boxes use is a 409 with `boxes` (their count) unless `?move_to=<label id>`
  moves those boxes (and their history) to another label first.
Frame routes live in `annotations.api.images` and are included here.
"""

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.access import label_get_for_user, project_get_for_user
from annotations.api import images, uploads
from annotations.api.pagination import Pagination
from annotations.converters import MAX_ID
from annotations.errors import InvalidInput
from annotations.filters import ProjectFilter
from annotations.login_throttle import ClientAddressThrottle, lockout_message, retry_after
from annotations.models import Label, Membership, Role
from annotations.selectors.images import project_with_counts, projects_with_counts, status_counts
from annotations.services.members import member_add, member_remove, member_update
from annotations.services.projects import (
    label_create,
    label_delete,
    label_reorder,
    label_update,
    project_create,
    project_delete,
    project_update,
)


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


class LabelInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    color = serializers.CharField(max_length=7, required=False)
    prompt = serializers.CharField(max_length=32, required=False, allow_blank=True)


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


# --- members -------------------------------------------------------------------------------


class MemberOutput(serializers.Serializer):
    user = serializers.IntegerField(source="user_id")
    username = serializers.CharField(source="user.username")
    role = serializers.CharField()
    created_at = serializers.DateTimeField()


class MemberInput(serializers.Serializer):
    username = serializers.CharField(
        required=False, max_length=254, help_text="The exact username, or the account's e-mail address."
    )
    user = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Staff: any user's id; managers: a member's id."
    )
    role = serializers.ChoiceField(choices=Role.choices, default=Role.ANNOTATOR)

    def validate(self, attrs):
        if "username" not in attrs and "user" not in attrs:
            raise serializers.ValidationError({"username": ["Give a username or an e-mail address."]})
        return attrs


class MemberUpdateInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class MemberListApi(APIView):
    @extend_schema(responses=MemberOutput(many=True))
    def get(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user)
        members = Membership.objects.filter(project=project).select_related("user").order_by("user__username")
        paginator = Pagination()
        page = paginator.paginate_queryset(members, request, view=self)
        return paginator.get_paginated_response(MemberOutput(page, many=True).data)

    @extend_schema(request=MemberInput, responses={201: MemberOutput, 200: MemberOutput})
    def post(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user, role=Role.MANAGER)
        data = MemberInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        membership, created = member_add(
            project=project,
            user=request.user,
            role=values["role"],
            username=values.get("username"),
            user_id=values.get("user"),
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(MemberOutput(membership).data, status=code)


class MemberDetailApi(APIView):
    @extend_schema(request=MemberUpdateInput, responses=MemberOutput)
    def patch(self, request, project_id, user_id):
        project = project_get_for_user(pk=project_id, user=request.user, role=Role.MANAGER)
        data = MemberUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        membership = member_update(
            project=project, user=request.user, member_user_id=user_id, role=data.validated_data["role"]
        )
        return Response(MemberOutput(membership).data)

    @extend_schema(responses={204: None})
    def delete(self, request, project_id, user_id):
        project = project_get_for_user(pk=project_id, user=request.user, role=Role.MANAGER)
        member_remove(project=project, user=request.user, member_user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- labels --------------------------------------------------------------------------------


class LabelOutput(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    name = serializers.CharField()
    color = serializers.CharField()
    prompt = serializers.CharField(source="effective_prompt", help_text="The noun sent to the detector.")
    position = serializers.IntegerField(help_text="Order in the project's label list.")


class LabelUpdateInput(LabelInput):
    name = serializers.CharField(max_length=100, required=False)


class LabelListApi(APIView):
    @extend_schema(responses=LabelOutput(many=True))
    def get(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user)
        paginator = Pagination()
        page = paginator.paginate_queryset(Label.objects.filter(project=project).order_by("position", "id"), request, view=self)
        return paginator.get_paginated_response(LabelOutput(page, many=True).data)

    @extend_schema(request=LabelInput, responses={201: LabelOutput})
    def post(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user, role=Role.MANAGER)
        data = LabelInput(data=request.data)
        data.is_valid(raise_exception=True)
        label = label_create(project=project, user=request.user, **data.validated_data)
        return Response(LabelOutput(label).data, status=status.HTTP_201_CREATED)


class LabelDetailApi(APIView):
    @extend_schema(responses=LabelOutput)
    def get(self, request, pk):
        return Response(LabelOutput(label_get_for_user(pk=pk, user=request.user)).data)

    @extend_schema(request=LabelUpdateInput, responses=LabelOutput)
    def patch(self, request, pk):
        label = label_get_for_user(pk=pk, user=request.user, role=Role.MANAGER)
        data = LabelUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        label = label_update(label=label, user=request.user, **data.validated_data)
        return Response(LabelOutput(label).data)

    @extend_schema(
        parameters=[OpenApiParameter("move_to", int, description="Move this label's boxes to that label first.")],
        responses={204: None},
    )
    def delete(self, request, pk):
        label = label_get_for_user(pk=pk, user=request.user, role=Role.MANAGER)
        target = request.query_params.get("move_to")
        move_to = None
        if target is not None:
            if not target.isdigit() or int(target) > MAX_ID:
                raise InvalidInput("move_to must be a label id.", move_to=["A label id is required."])
            move_to = Label.objects.filter(pk=int(target), project_id=label.project_id).first()
            if move_to is None:
                raise InvalidInput("move_to must be a label of this project.", move_to=["Unknown label."])
        label_delete(label=label, user=request.user, move_to=move_to)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LabelOrderApi(APIView):
    @extend_schema(
        request=inline_serializer("LabelOrderInput", {"labels": serializers.ListField(child=serializers.IntegerField())}),
        responses=LabelOutput(many=True),
    )
    def post(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user, role=Role.MANAGER)
        order = request.data.get("labels") if isinstance(request.data, dict) else None
        if not isinstance(order, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in order):
            raise InvalidInput("Send {labels: [label ids in the new order]}.", labels=["A list of label ids."])
        return Response(LabelOutput(label_reorder(project=project, user=request.user, order=order), many=True).data)


urlpatterns = [
    path("auth/token/", TokenApi.as_view(), name="api-token"),
    path("projects/", ProjectListApi.as_view(), name="project-list"),
    path("projects/<id:pk>/", ProjectDetailApi.as_view(), name="project-detail"),
    path("projects/<id:project_id>/members/", MemberListApi.as_view(), name="project-members"),
    path("projects/<id:project_id>/members/<id:user_id>/", MemberDetailApi.as_view(), name="project-member"),
    path("projects/<id:project_id>/labels/", LabelListApi.as_view(), name="project-labels"),
    path("labels/<id:pk>/", LabelDetailApi.as_view(), name="label-detail"),
    path("projects/<id:project_id>/labels/order/", LabelOrderApi.as_view(), name="project-labels-order"),
    *images.urlpatterns,
    *uploads.urlpatterns,
]
