"""Boxes, undo/redo and history over REST. Thin: parse → service → serialize.

- `GET, POST /api/images/{id}/boxes/` — list (paginated, `?page_size=` up to 10,000) / create → 201.
  A create may carry an `Idempotency-Key` header (1–64 of `A-Z a-z 0-9 - _ . :`); sending it
  again answers 200 with the box that key made and `Idempotent-Replayed: true`, creating nothing.
- `GET, PATCH, DELETE /api/boxes/{id}/` — PATCH and DELETE carry the `version` the client saw
  (DELETE: `?version=N` or in the body); a stale one is 409 `{detail, current: <box>}`.
  DELETE answers 200 with the (soft-)deleted box, `deleted: true` and its new version.
- `POST /api/images/{id}/undo/` · `POST /api/images/{id}/redo/` — the caller's own history on the
  frame; 200 `{action, box, boxes, event, target, can_undo, can_redo}` (`box` null when the step
  involved none; `boxes` every box it changed: an accept-all is undone and redone in one step); nothing to undo/redo → 400 `{"detail": "Nothing to undo."}`; blocked by
  someone else's later change → 409 with `current`.
- `GET /api/images/{id}/history/` — events newest first, paginated, plus the caller's
  `can_undo`/`can_redo`; `?mine=1` keeps the caller's own events.
"""

import re

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.access import box_get_for_user, image_get_for_user
from annotations.api.fields import Coordinate, ProjectObjectId
from annotations.api.pagination import Pagination
from annotations.selectors.boxes import (
    box_to_dict,
    boxes_for_image,
    event_to_dict,
    history_for_image,
)
from annotations.services.boxes import box_create_once, box_delete, box_update
from annotations.services.history import history_redo, history_undo, redo_target, undo_target

IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def idempotency_key(request) -> str | None:
    """The create's `Idempotency-Key` header, or None; a malformed one is a 400, not ignored."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise serializers.ValidationError(
            {"Idempotency-Key": ["Use 1 to 64 characters among letters, digits and - _ . : (a UUID fits)."]}
        )
    return key


class BoxOutput(serializers.Serializer):
    """The box shape of DESIGN.md (plus additive fields); rendering is `box_to_dict`, shared with websockets."""

    id = serializers.IntegerField(read_only=True)
    image = serializers.IntegerField(read_only=True)
    label = serializers.IntegerField(read_only=True)
    label_name = serializers.CharField(read_only=True)
    label_color = serializers.CharField(read_only=True)
    x_min = serializers.FloatField(read_only=True)
    y_min = serializers.FloatField(read_only=True)
    x_max = serializers.FloatField(read_only=True)
    y_max = serializers.FloatField(read_only=True)
    source = serializers.CharField(read_only=True)
    prediction = serializers.IntegerField(read_only=True, allow_null=True)
    track = serializers.IntegerField(read_only=True, allow_null=True, help_text="The track's id, or null.")
    keyframe = serializers.BooleanField(read_only=True, help_text="Drawn or adjusted by a person (not interpolated or tracked).")
    version = serializers.IntegerField(read_only=True)
    deleted = serializers.BooleanField(read_only=True)
    created_by = serializers.IntegerField(read_only=True, allow_null=True)
    created_by_username = serializers.CharField(read_only=True, allow_null=True)
    updated_by = serializers.IntegerField(read_only=True, allow_null=True)
    updated_by_username = serializers.CharField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance):
        return box_to_dict(instance)


class EventOutput(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    image = serializers.IntegerField(read_only=True)
    box = serializers.IntegerField(read_only=True, allow_null=True)
    user = serializers.IntegerField(read_only=True, allow_null=True)
    username = serializers.CharField(read_only=True, allow_null=True)
    action = serializers.CharField(read_only=True)
    before = serializers.JSONField(read_only=True)
    after = serializers.JSONField(read_only=True)
    undone = serializers.BooleanField(read_only=True)
    reverts = serializers.IntegerField(read_only=True, allow_null=True)
    group = serializers.CharField(
        read_only=True, allow_null=True, help_text="Events of one action (across frames), undone and redone together."
    )
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance):
        return event_to_dict(instance)


class BoxCreateInput(serializers.Serializer):
    label = ProjectObjectId(required=False, help_text="Required unless `track` is given (the box then takes its label).")
    x_min = Coordinate()
    y_min = Coordinate()
    x_max = Coordinate()
    y_max = Coordinate()
    track = ProjectObjectId(required=False, allow_null=True)

    def validate(self, data):
        if "label" not in data and data.get("track") is None:
            raise serializers.ValidationError({"label": ["This field is required."]})
        return data  # without a label, the box takes its track's (box services)


class VersionInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class BoxUpdateInput(VersionInput):
    label = ProjectObjectId(required=False)
    x_min = Coordinate(required=False)
    y_min = Coordinate(required=False)
    x_max = Coordinate(required=False)
    y_max = Coordinate(required=False)
    track = ProjectObjectId(required=False, allow_null=True)


StepOutput = inline_serializer(
    "HistoryStep",
    {
        "action": serializers.CharField(),
        "box": BoxOutput(allow_null=True),
        "boxes": BoxOutput(many=True, help_text="Every box the step changed (several when it undid or redid an accept-all)."),
        "event": EventOutput(),
        "target": EventOutput(),
        "can_undo": serializers.BooleanField(),
        "can_redo": serializers.BooleanField(),
    },
)


def _validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _parsed(parse, *, readable):
    """`parse()` the request (no query); a bad one is a 400 only for a caller who may see the object
    (`readable()` raises 404/403 first), as when the view read the object before the input.
    A good one costs no read here: the write service reads and locks the object in one query."""
    try:
        return parse()
    except serializers.ValidationError:
        readable()
        raise


def _availability(*, image, user) -> dict:
    return {
        "can_undo": undo_target(image=image, user=user) is not None,
        "can_redo": redo_target(image=image, user=user) is not None,
    }


class ImageBoxesApi(APIView):
    @extend_schema(responses=BoxOutput(many=True))
    def get(self, request, image_id):
        image = image_get_for_user(pk=image_id, user=request.user)
        paginator = Pagination()
        page = paginator.paginate_queryset(boxes_for_image(image=image), request, view=self)
        return paginator.get_paginated_response([box_to_dict(box) for box in page])

    @extend_schema(
        request=BoxCreateInput,
        responses={201: BoxOutput, 200: BoxOutput},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                                     description="Repeat a create safely: the same key returns the same box (200).")],
    )  # fmt: skip
    def post(self, request, image_id):
        def readable():
            image_get_for_user(pk=image_id, user=request.user)

        fields = _parsed(lambda: _validated(BoxCreateInput, request.data), readable=readable)
        key = _parsed(lambda: idempotency_key(request), readable=readable)
        box, created = box_create_once(image=image_id, user=request.user, client_key=key, **fields)
        if created:
            return Response(box_to_dict(box), status=status.HTTP_201_CREATED)
        return Response(box_to_dict(box), status=status.HTTP_200_OK, headers={"Idempotent-Replayed": "true"})


class BoxDetailApi(APIView):
    @extend_schema(responses=BoxOutput)
    def get(self, request, pk):
        box = box_get_for_user(pk=pk, user=request.user)
        return Response(BoxOutput(box).data)

    @extend_schema(request=BoxUpdateInput, responses={200: BoxOutput, 409: BoxOutput})
    def patch(self, request, pk):
        fields = _parsed(lambda: _validated(BoxUpdateInput, request.data),
                         readable=lambda: box_get_for_user(pk=pk, user=request.user))  # fmt: skip
        return Response(box_to_dict(box_update(box=pk, user=request.user, **fields)))

    @extend_schema(
        request=VersionInput,
        parameters=[OpenApiParameter("version", int, description="The version the client saw (or in the body).")],
        responses={200: BoxOutput, 409: BoxOutput},
    )
    def delete(self, request, pk):
        def version():
            given = request.query_params.get("version")
            if given is None and isinstance(request.data, dict):
                given = request.data.get("version")
            return _validated(VersionInput, {} if given is None else {"version": given})

        fields = _parsed(version, readable=lambda: box_get_for_user(pk=pk, user=request.user))
        return Response(box_to_dict(box_delete(box=pk, user=request.user, **fields)))


class _HistoryStepApi(APIView):
    step = None

    @extend_schema(request=None, responses=StepOutput)
    def post(self, request, image_id):
        image = image_get_for_user(pk=image_id, user=request.user)
        done = self.step(image=image, user=request.user)
        return Response(
            {
                "action": done.event.action,
                "box": None if done.box is None else box_to_dict(done.box),
                "boxes": [box_to_dict(box) for box in done.boxes],
                "event": event_to_dict(done.event),
                "target": event_to_dict(done.target),
                **_availability(image=image, user=request.user),
            }
        )


class ImageUndoApi(_HistoryStepApi):
    step = staticmethod(history_undo)


class ImageRedoApi(_HistoryStepApi):
    step = staticmethod(history_redo)


class HistoryPagination(Pagination):
    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data.update(self.extra)
        return response


class ImageHistoryApi(APIView):
    @extend_schema(responses=EventOutput(many=True))
    def get(self, request, image_id):
        image = image_get_for_user(pk=image_id, user=request.user)
        mine = request.query_params.get("mine", "").lower() in {"1", "true", "yes"}
        events = history_for_image(image=image, user=request.user if mine else None)
        paginator = HistoryPagination()
        paginator.extra = _availability(image=image, user=request.user)
        page = paginator.paginate_queryset(events, request, view=self)
        return paginator.get_paginated_response([event_to_dict(event) for event in page])


urlpatterns = [
    path("images/<id:image_id>/boxes/", ImageBoxesApi.as_view(), name="image-boxes"),
    path("boxes/<id:pk>/", BoxDetailApi.as_view(), name="box-detail"),
    path("images/<id:image_id>/undo/", ImageUndoApi.as_view(), name="image-undo"),
    path("images/<id:image_id>/redo/", ImageRedoApi.as_view(), name="image-redo"),
    path("images/<id:image_id>/history/", ImageHistoryApi.as_view(), name="image-history"),
]
