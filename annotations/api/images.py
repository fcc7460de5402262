"""Frames over REST: list, upload, detail and the permission-checked bytes.

- `GET /api/projects/{id}/images/` — paginated, ordered by frame_index; filters `status`
  (repeatable), `frame_index_min`, `frame_index_max`; nothing else is a filter.
- `POST /api/projects/{id}/images/` — manager only; multipart `file` (repeatable): an image or a
  zip of images → 201 `{images: [...], duplicates: [...names], skipped: [{name, reason}]}`; bad
  files 400/413 naming the file. Frames are numbered in the natural order of their names
  (`frame2` before `frame10`) unless `order=given` keeps the order the files were sent in; a
  zip's non-image entries are skipped and listed. Browsers send one file (or a few) per request,
  so a failed file is retried alone and no request holds the whole batch.
- `GET /api/images/{id}/` — `{id, project, frame_index, width, height, sha256, status, metadata,
  previous, next}` plus `original_name`, `format`, `review_comment`, `box_count`, `file_url`, `thumb_url`.
- `GET /api/images/{id}/file/` — the bytes with the content type of the format Pillow detected at
  import, `nosniff`, inline with a safe name; `?thumb=64|128|256|512` for a cached thumbnail.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.urls import path, reverse
from django.utils.cache import patch_cache_control
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.access import image_get_for_user, project_get_for_user
from annotations.api.pagination import Pagination
from annotations.errors import InvalidInput, PayloadTooLarge
from annotations.filters import ImageFilter
from annotations.api.fields import SequenceRef
from annotations.converters import MAX_ID
from annotations.models import ImageStatus, Role, Sequence
from annotations.selectors.images import image_with_details, images_annotated, images_for_project
from annotations.exports.coco import coco_annotations_import
from annotations.services.ingest import IngestResult, images_ingest
from annotations.services.sequences import image_sequence_set
from annotations.services.thumbnails import THUMB_SIZES, thumbnail_get

CONTENT_TYPES = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "BMP": "image/bmp",
    "TIFF": "image/tiff",
}


class ImageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    frame_index = serializers.IntegerField()
    sequence = serializers.IntegerField(source="sequence_id", allow_null=True, help_text="Its sequence's id (clip).")
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    sha256 = serializers.CharField()
    status = serializers.CharField()
    metadata = serializers.JSONField()
    previous = serializers.IntegerField(source="previous_id", allow_null=True, help_text="Previous frame's id.")
    next = serializers.IntegerField(source="next_id", allow_null=True, help_text="Next frame's id.")
    original_name = serializers.CharField()
    format = serializers.CharField()
    review_comment = serializers.CharField()
    box_count = serializers.IntegerField()
    my_rating = serializers.IntegerField(
        allow_null=True, default=None, help_text="The caller's frame feedback (1, 0, -1) or null."
    )
    file_url = serializers.SerializerMethodField()
    thumb_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_file_url(self, image) -> str:
        return reverse("image-file", args=[image.pk])

    def get_thumb_url(self, image) -> str:
        return reverse("image-file", args=[image.pk]) + "?thumb=256"


UploadOutput = inline_serializer(
    "UploadOutput",
    {
        "images": ImageOutput(many=True),
        "duplicates": serializers.ListField(child=serializers.CharField()),
        "skipped": serializers.ListField(
            child=serializers.DictField(child=serializers.CharField()),
            help_text="Entries of a zip that were not imported: {name, reason}.",
        ),
    },
)


class UploadInput(serializers.Serializer):
    file = serializers.ListField(child=serializers.FileField(), help_text="An image or a zip.")
    order = serializers.ChoiceField(
        choices=["name", "given"], default="name", help_text="Number frames by natural name order, or as sent."
    )
    sequence = serializers.IntegerField(
        required=False, help_text="Put the loose files in this sequence (a batch sent over several requests)."
    )


def upload_sequence(data, project):
    """The `sequence` an upload names for its loose files (one of the project's), or None."""
    value = data.get("sequence") if hasattr(data, "get") else None
    if value in (None, ""):
        return None
    sequence = None
    if str(value).isdigit() and 0 < int(value) <= MAX_ID:
        sequence = Sequence.objects.filter(pk=int(value), project=project).first()
    if sequence is None:
        raise InvalidInput("Unknown sequence for this project.", sequence=["Unknown sequence for this project."])
    return sequence


def order_of(data) -> str:
    order = (data.get("order") if hasattr(data, "get") else None) or "name"
    if order not in ("name", "given"):
        raise InvalidInput("order must be `name` or `given`.", order=["Choose name or given."])
    return order


class ProjectImagesApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, many=True, enum=ImageStatus.values),
            OpenApiParameter("frame_index_min", int),
            OpenApiParameter("frame_index_max", int),
        ],
        responses=ImageOutput(many=True),
    )
    def get(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user)
        queryset = images_for_project(project=project, user=request.user)
        images = ImageFilter(request.query_params, queryset=queryset)
        if not images.is_valid():
            errors = {key: [str(m) for m in msgs] for key, msgs in images.errors.items()}
            raise InvalidInput("Invalid filter.", **errors)
        paginator = Pagination()
        page = paginator.paginate_queryset(images.qs, request, view=self)
        return paginator.get_paginated_response(ImageOutput(page, many=True).data)

    @extend_schema(request={"multipart/form-data": UploadInput}, responses={201: UploadOutput})
    def post(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user, role=Role.MANAGER)
        try:
            uploads = request.FILES.getlist("file")
        except TooManyFilesSent:
            raise PayloadTooLarge(
                f"At most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files per request; put more frames in a zip."
            ) from None
        except RequestDataTooBig:
            raise PayloadTooLarge("The form fields are too large; send the frames as files.") from None
        if not uploads:
            raise InvalidInput("Send the image or zip as the multipart field `file`.", file=["No file was sent."])
        order, sequence = order_of(request.data), upload_sequence(request.data, project)
        files = [(f.name, f) for f in uploads]
        result = images_ingest(project=project, user=request.user, files=files, order=order, sequence=sequence)
        return upload_answer(project, request.user, result)


def upload_answer(project, user, result: IngestResult) -> Response:
    """201 with UploadOutput: the frames just stored (as the list shows them), duplicates, skipped."""
    fresh = images_annotated(project.images.filter(pk__in=[image.pk for image in result.images]), user=user)
    return Response(
        {"images": ImageOutput(fresh, many=True).data, "duplicates": result.duplicates, "skipped": result.skipped},
        status=status.HTTP_201_CREATED,
    )


class ProjectCocoApi(APIView):
    """`POST /api/projects/{id}/coco/` — a COCO JSON's labels and boxes onto frames already uploaded."""

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={201: inline_serializer("CocoImportOutput", {k: serializers.IntegerField() for k in ("images", "labels", "boxes", "boxes_already_there", "tracks")})},
    )
    def post(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user, role=Role.MANAGER)
        return Response(coco_annotations_import(project=project, user=request.user, data=request.data), status=status.HTTP_201_CREATED)


class ImageSequenceInput(serializers.Serializer):
    sequence = SequenceRef(help_text="The sequence to move the frame to, or null for none.")


class ImageDetailApi(APIView):
    @extend_schema(responses=ImageOutput)
    def get(self, request, pk):
        image = image_get_for_user(pk=pk, user=request.user)
        return Response(ImageOutput(image_with_details(pk=image.pk, user=request.user)).data)

    @extend_schema(request=ImageSequenceInput, responses=ImageOutput)
    def patch(self, request, pk):
        image = image_get_for_user(pk=pk, user=request.user, role=Role.MANAGER)
        data = ImageSequenceInput(data=request.data, context={"project_id": image.project_id})
        data.is_valid(raise_exception=True)
        image_sequence_set(image=image, user=request.user, sequence=data.validated_data["sequence"])
        return Response(ImageOutput(image_with_details(pk=image.pk, user=request.user)).data)



class ImageFileApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("thumb", int, enum=list(THUMB_SIZES), description="Longest side in pixels.")],
        responses={(200, "image/*"): OpenApiTypes.BINARY},
    )
    def get(self, request, pk):
        image = image_get_for_user(pk=pk, user=request.user)
        thumb = request.query_params.get("thumb")
        if thumb is not None:
            try:
                size = int(thumb)
            except ValueError:
                raise InvalidInput("thumb must be a number of pixels.", thumb=["A number is required."]) from None
            name, content_type = thumbnail_get(image=image, size=size)
            stream, filename = default_storage.open(name, "rb"), f"frame-{image.pk}-{size}.{name.rsplit('.', 1)[-1]}"
        else:
            # The type recorded when Pillow verified the bytes; a file Pillow did not detect is not an image.
            content_type = CONTENT_TYPES.get(image.format, "application/octet-stream")
            stream, filename = image.file.open("rb"), f"frame-{image.pk}.{image.file_extension}"
        response = FileResponse(stream, content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        response["X-Content-Type-Options"] = "nosniff"
        # Even if a browser were to render it as a document, it could run nothing.
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        patch_cache_control(response, private=True, max_age=3600)
        return response


urlpatterns = [
    path("projects/<id:project_id>/images/", ProjectImagesApi.as_view(), name="project-images"),
    path("projects/<id:project_id>/coco/", ProjectCocoApi.as_view(), name="project-coco"),
    path("images/<id:pk>/", ImageDetailApi.as_view(), name="image-detail"),
    path("images/<id:pk>/file/", ImageFileApi.as_view(), name="image-file"),
]
