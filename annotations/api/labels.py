"""A project's labels over REST (managers write). Thin: parse → service → serialize.

`GET, POST /api/projects/{id}/labels/` · `GET, PATCH, DELETE /api/labels/{id}/` — listed by
`position` (then id); `POST /api/projects/{id}/labels/order/ {labels: [ids]}` reorders them.
DELETE of a label boxes use is a 409 with `boxes` (their count) unless `?move_to=<label id>`
moves those boxes (and their history) to another label first.
"""

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.access import label_get_for_user, project_get_for_user
from annotations.api.pagination import Pagination
from annotations.converters import MAX_ID
from annotations.errors import InvalidInput
from annotations.models import Label, Role
from annotations.services.projects import label_create, label_delete, label_reorder, label_update


class LabelInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    color = serializers.CharField(max_length=7, required=False)
    prompt = serializers.CharField(max_length=32, required=False, allow_blank=True)


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
    path("projects/<id:project_id>/labels/", LabelListApi.as_view(), name="project-labels"),
    path("labels/<id:pk>/", LabelDetailApi.as_view(), name="label-detail"),
    path("projects/<id:project_id>/labels/order/", LabelOrderApi.as_view(), name="project-labels-order"),
]
