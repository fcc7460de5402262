"""Invites over REST (managers of the project, and staff). Thin: parse → service → serialize.

- `GET, POST /api/projects/{id}/invites/` — the project's invites, newest first, with `state`
  (active, used, revoked, expired); POST `{role, email?, expires_in_days?}` → 201 with the invite
  and its `url`, the only time the link is shown (the server keeps a hash of the token).
- `DELETE /api/projects/{id}/invites/{invite_id}/` — revoke: the link stops working at once
  (204; the invite stays listed as revoked). A used invite is a 409: remove the member instead.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.access import project_get_for_user
from annotations.api.pagination import Pagination
from annotations.errors import NotFound
from annotations.models import Invite, Role
from annotations.services.invites import MAX_EXPIRY_DAYS, invite_create, invite_path, invite_revoke


class InviteOutput(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    role = serializers.CharField()
    email = serializers.CharField(help_text="Shown to tell invites apart; not matched against accounts.")
    state = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    used_at = serializers.DateTimeField(allow_null=True)
    used_by = serializers.CharField(source="used_by.username", allow_null=True, default=None)
    revoked_at = serializers.DateTimeField(allow_null=True)

    def get_state(self, invite) -> str:
        return invite.state()


class InviteCreatedOutput(InviteOutput):
    url = serializers.CharField(help_text="The link to send; shown only in this answer.")


class InviteInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, default=Role.ANNOTATOR)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254, default="")
    expires_in_days = serializers.IntegerField(required=False, min_value=1, max_value=MAX_EXPIRY_DAYS)


class InviteListApi(APIView):
    @extend_schema(responses=InviteOutput(many=True))
    def get(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user, role=Role.MANAGER)
        invites = Invite.objects.filter(project=project).select_related("created_by", "used_by")
        paginator = Pagination()
        page = paginator.paginate_queryset(invites, request, view=self)
        return paginator.get_paginated_response(InviteOutput(page, many=True).data)

    @extend_schema(request=InviteInput, responses={201: InviteCreatedOutput})
    def post(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user, role=Role.MANAGER)
        data = InviteInput(data=request.data)
        data.is_valid(raise_exception=True)
        invite, token = invite_create(project=project, user=request.user, **data.validated_data)
        invite.url = request.build_absolute_uri(invite_path(token))
        return Response(InviteCreatedOutput(invite).data, status=status.HTTP_201_CREATED)


class InviteDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, project_id, invite_id):
        project = project_get_for_user(pk=project_id, user=request.user, role=Role.MANAGER)
        invite = Invite.objects.filter(project=project, pk=invite_id).first()
        if invite is None:
            raise NotFound("This project has no such invite.")
        invite_revoke(invite=invite, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("projects/<id:project_id>/invites/", InviteListApi.as_view(), name="project-invites"),
    path("projects/<id:project_id>/invites/<id:invite_id>/", InviteDetailApi.as_view(), name="project-invite"),
]
