"""Sequences (clips) over REST. Members read; managers create, rename and move frames.

- `GET, POST /api/projects/{id}/sequences/` — `{id, project, name, frame_count, first_frame}` by id
  (paginated); POST `{name}` → 201 (a name in use, ignoring case, is 409).
- `GET, PATCH /api/sequences/{id}/` — PATCH `{name}` renames (409 when taken).
- `PATCH /api/images/{id}/` `{sequence: id | null}` moves a frame (annotations.api.images).
Ingest makes them: one per upload batch, one per folder of a zip.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.access import project_get_for_user, sequence_get_for_user
from annotations.api.pagination import Pagination
from annotations.models import Role
from annotations.selectors.tracks import sequence_to_dict, sequences_for_project
from annotations.services.sequences import sequence_create, sequence_rename


class SequenceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField()
    name = serializers.CharField()
    frame_count = serializers.IntegerField()
    first_frame = serializers.IntegerField(allow_null=True, help_text="Image id of its first frame.")

    def to_representation(self, instance):
        return sequence_to_dict(instance)


class SequenceInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)


def _one(sequence) -> dict:
    return sequence_to_dict(sequences_for_project(project=sequence.project).get(pk=sequence.pk))


class ProjectSequencesApi(APIView):
    @extend_schema(responses=SequenceOutput(many=True))
    def get(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user)
        paginator = Pagination()
        page = paginator.paginate_queryset(sequences_for_project(project=project), request, view=self)
        return paginator.get_paginated_response([sequence_to_dict(sequence) for sequence in page])

    @extend_schema(request=SequenceInput, responses={201: SequenceOutput})
    def post(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user, role=Role.MANAGER)
        data = SequenceInput(data=request.data)
        data.is_valid(raise_exception=True)
        sequence = sequence_create(project=project, user=request.user, **data.validated_data)
        return Response(_one(sequence), status=status.HTTP_201_CREATED)


class SequenceDetailApi(APIView):
    @extend_schema(responses=SequenceOutput)
    def get(self, request, pk):
        return Response(_one(sequence_get_for_user(pk=pk, user=request.user)))

    @extend_schema(request=SequenceInput, responses=SequenceOutput)
    def patch(self, request, pk):
        sequence = sequence_get_for_user(pk=pk, user=request.user, role=Role.MANAGER)
        data = SequenceInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(_one(sequence_rename(sequence=sequence, user=request.user, **data.validated_data)))


urlpatterns = [
    path("projects/<id:project_id>/sequences/", ProjectSequencesApi.as_view(), name="project-sequences"),
    path("sequences/<id:pk>/", SequenceDetailApi.as_view(), name="sequence-detail"),
]
