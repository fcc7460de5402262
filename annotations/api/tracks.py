"""Tracks over REST. Thin: parse → service → serialize. Annotators and up; outside the project: 404.

- `GET, POST /api/projects/{id}/tracks/` — list by number (paginated; `?sequence=<id>` filters);
  create `{label, sequence?}` → 201 with the project's next number.
- `GET, PATCH, DELETE /api/tracks/{id}/` — PATCH `{label?, sequence?}` (a new label relabels the
  track's boxes); DELETE → 204: non-keyframe boxes deleted, keyframes kept without the track.
- `POST /api/tracks/{id}/interpolate/` → 200 `{boxes: [...]}` the boxes it wrote (created, moved
  or deleted — deleted ones carry `deleted: true`); one undo step.
- `POST /api/tracks/{id}/end/ {image}` → 200 `{track, boxes}`: the object left the view after
  this frame (services/track_end.py).
- `POST /api/images/{id}/copy-forward/ {boxes: [ids] | "all"}` → 201 `{image, boxes}`.
- `GET /api/tracks/{id}/boxes/` — the track's live boxes in frame order (paginated, `?page_size=` up
  to 10,000), each the box JSON plus its frame's `frame_index`: what the timeline strip draws.
Track JSON: `{id, project, label, number, sequence, first_frame, last_frame, box_count}` plus
`label_name`, `label_color`, `created_by`, `ended_at`.
"""

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.access import image_get_for_user, project_get_for_user, track_get_for_user
from annotations.api.boxes import BoxOutput
from annotations.api.fields import LabelRef, SequenceRef
from annotations.api.pagination import Pagination
from annotations.converters import MAX_ID
from annotations.errors import InvalidInput
from annotations.selectors.boxes import box_to_dict
from annotations.selectors.tracks import (
    track_box_to_dict,
    track_live_boxes,
    track_to_dict,
    track_with_details,
    tracks_for_project,
    tracks_mark_ended,
)
from annotations.services.copy_forward import boxes_copy_forward
from annotations.services.interpolation import interpolation_run
from annotations.services.track_end import track_end
from annotations.services.tracks import UNSET, track_create, track_delete, track_update


class TrackOutput(serializers.Serializer):
    """The track shape of DESIGN.md; rendering is `track_to_dict`, shared with websockets."""

    id = serializers.IntegerField()
    project = serializers.IntegerField()
    label = serializers.IntegerField()
    label_name = serializers.CharField()
    label_color = serializers.CharField()
    number = serializers.IntegerField()
    sequence = serializers.IntegerField(allow_null=True)
    first_frame = serializers.IntegerField(allow_null=True, help_text="Image id of its first live box, frame order.")
    last_frame = serializers.IntegerField(allow_null=True, help_text="Image id of its last live box, frame order.")
    box_count = serializers.IntegerField(help_text="Live boxes of the track.")
    ended_at = serializers.IntegerField(
        allow_null=True,
        help_text="Image id of the frame it was ended at (End track) while that is its last frame, else null.",
    )
    created_by = serializers.IntegerField(allow_null=True)

    def to_representation(self, instance):
        return track_to_dict(instance)


class TrackBoxOutput(BoxOutput):
    frame_index = serializers.IntegerField(read_only=True, help_text="Its frame's index in the sequence.")

    def to_representation(self, instance):
        return track_box_to_dict(instance)


class TrackCreateInput(serializers.Serializer):
    label = LabelRef()
    sequence = SequenceRef(required=False)


class TrackUpdateInput(serializers.Serializer):
    label = LabelRef(required=False)
    sequence = SequenceRef(required=False)


BoxesOutput = inline_serializer("TrackBoxesOutput", {"boxes": BoxOutput(many=True)})


class ProjectTracksApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("sequence", int)], responses=TrackOutput(many=True))
    def get(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user)
        sequence = request.query_params.get("sequence")
        if sequence is not None and not (sequence.isdigit() and 0 < int(sequence) <= MAX_ID):
            raise InvalidInput("sequence must be a sequence id.", sequence=["A valid integer is required."])
        tracks = tracks_for_project(project=project, sequence_id=None if sequence is None else int(sequence))
        paginator = Pagination()
        page = paginator.paginate_queryset(tracks, request, view=self)
        return paginator.get_paginated_response([track_to_dict(track) for track in tracks_mark_ended(page)])

    @extend_schema(request=TrackCreateInput, responses={201: TrackOutput})
    def post(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user)
        data = TrackCreateInput(data=request.data, context={"project_id": project.pk})
        data.is_valid(raise_exception=True)
        track = track_create(project=project, user=request.user, **data.validated_data)
        return Response(track_to_dict(track_with_details(pk=track.pk)), status=status.HTTP_201_CREATED)


class TrackDetailApi(APIView):
    @extend_schema(responses=TrackOutput)
    def get(self, request, pk):
        track = track_get_for_user(pk=pk, user=request.user)
        return Response(track_to_dict(track_with_details(pk=track.pk)))

    @extend_schema(request=TrackUpdateInput, responses=TrackOutput)
    def patch(self, request, pk):
        track = track_get_for_user(pk=pk, user=request.user)
        data = TrackUpdateInput(data=request.data, context={"project_id": track.project_id})
        data.is_valid(raise_exception=True)
        changes = data.validated_data
        track_update(track=track, user=request.user, label=changes.get("label"), sequence=changes.get("sequence", UNSET))
        return Response(track_to_dict(track_with_details(pk=track.pk)))

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        track = track_get_for_user(pk=pk, user=request.user)
        track_delete(track=track, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TrackBoxesApi(APIView):
    pagination_class = Pagination  # read by the schema: it documents the page envelope and parameters

    @extend_schema(responses=TrackBoxOutput(many=True))
    def get(self, request, pk):
        track = track_get_for_user(pk=pk, user=request.user)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(track_live_boxes(track), request, view=self)
        return paginator.get_paginated_response(TrackBoxOutput(page, many=True).data)


class TrackInterpolateInput(serializers.Serializer):
    image = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="The frame the person is on: its undo reverts this."
    )


def acting_frame(data: dict, *, user, project_id: int):
    """The frame a track operation was asked from (same project), or None."""
    if data.get("image") is None:
        return None
    image = image_get_for_user(pk=data["image"], user=user)
    if image.project_id != project_id:
        raise InvalidInput("The frame belongs to another project.", image=["Choose a frame of the track's project."])
    return image


class TrackInterpolateApi(APIView):
    @extend_schema(request=TrackInterpolateInput, responses=BoxesOutput)
    def post(self, request, pk):
        track = track_get_for_user(pk=pk, user=request.user)
        data = TrackInterpolateInput(data=request.data)
        data.is_valid(raise_exception=True)
        image = acting_frame(data.validated_data, user=request.user, project_id=track.project_id)
        result = interpolation_run(track=track, user=request.user, image_id=getattr(image, "pk", None))
        return Response({"boxes": [box_to_dict(box) for box in result.boxes]})


class TrackEndInput(serializers.Serializer):
    image = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The last frame the object is in.")


class TrackEndApi(APIView):
    @extend_schema(
        request=TrackEndInput,
        responses=inline_serializer("TrackEndOutput", {"track": TrackOutput(), "boxes": BoxOutput(many=True)}),
    )
    def post(self, request, pk):
        track = track_get_for_user(pk=pk, user=request.user)
        data = TrackEndInput(data=request.data)
        data.is_valid(raise_exception=True)
        image = acting_frame(data.validated_data, user=request.user, project_id=track.project_id)
        result = track_end(track=track, image=image, user=request.user)
        return Response(
            {"track": track_to_dict(track_with_details(pk=track.pk)), "boxes": [box_to_dict(b) for b in result.boxes]}
        )


class CopyForwardInput(serializers.Serializer):
    boxes = serializers.JSONField(help_text='Box ids of this frame, or "all".')

    def validate_boxes(self, value):
        if value == "all":
            return value
        if not isinstance(value, list) or not value or len(value) > 1000:
            raise serializers.ValidationError('Send a list of 1 to 1,000 box ids, or "all".')
        child = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        return sorted({child.run_validation(item) for item in value if not isinstance(item, bool)} or {0})


class ImageCopyForwardApi(APIView):
    @extend_schema(
        request=CopyForwardInput,
        responses={201: inline_serializer("CopyForwardOutput", {"image": serializers.IntegerField(), "boxes": BoxOutput(many=True)})},
    )  # fmt: skip
    def post(self, request, image_id):
        image = image_get_for_user(pk=image_id, user=request.user)
        data = CopyForwardInput(data=request.data)
        data.is_valid(raise_exception=True)
        target, boxes = boxes_copy_forward(image=image, user=request.user, boxes=data.validated_data["boxes"])
        return Response({"image": target.pk, "boxes": [box_to_dict(b) for b in boxes]}, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("projects/<id:project_id>/tracks/", ProjectTracksApi.as_view(), name="project-tracks"),
    path("tracks/<id:pk>/", TrackDetailApi.as_view(), name="track-detail"),
    path("tracks/<id:pk>/boxes/", TrackBoxesApi.as_view(), name="track-boxes"),
    path("tracks/<id:pk>/interpolate/", TrackInterpolateApi.as_view(), name="track-interpolate"),
    path("tracks/<id:pk>/end/", TrackEndApi.as_view(), name="track-end"),
    path("images/<id:image_id>/copy-forward/", ImageCopyForwardApi.as_view(), name="image-copy-forward"),
]
