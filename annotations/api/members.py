"""Project members over REST (managers write). Thin: parse → service → serialize.

`GET, POST /api/projects/{id}/members/` · `PATCH, DELETE /api/projects/{id}/members/{user_id}/` —
POST `{username, role}` adds (201) or changes the role (200); `username` is the exact username
or an e-mail address, and an unknown or inactive account gets one and the same 400, so a
manager learns nothing about accounts outside their projects. `{user: id, role}` adds anyone
for staff; for a manager it only names someone already in the project. PATCH `{role}`.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.access import project_get_for_user
from annotations.api.pagination import Pagination
from annotations.converters import MAX_ID
from annotations.models import Membership, Role
from annotations.services.members import member_add, member_remove, member_update


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


urlpatterns = [
    path("projects/<id:project_id>/members/", MemberListApi.as_view(), name="project-members"),
    path("projects/<id:project_id>/members/<id:user_id>/", MemberDetailApi.as_view(), name="project-member"),
]
