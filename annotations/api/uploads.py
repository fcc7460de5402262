"""Chunked upload of one large file (a zip, or a big image) — managers, like `POST …/images/`.

- `POST /api/projects/{id}/uploads/` `{name, size}` → 201 `{upload_id, name, size, received, chunk_size}`;
  a size over `UPLOAD_MAX_BYTES` is 413.
- `PUT /api/projects/{id}/uploads/{upload_id}/chunks/?offset=N` — body: the raw bytes
  (`application/octet-stream`, at most `chunk_size`) → 200 `{upload_id, name, size, received}`.
  Sending a chunk again at an offset already received is harmless (a lost answer is retried
  alone); an offset past `received` is 409 with `expected_offset`; past `size` or over
  `chunk_size` is 413.
- `POST …/uploads/{upload_id}/complete/` `{order?}` → 201, the same answer as `POST …/images/`;
  409 with `expected_offset` while bytes are missing.
- `DELETE …/uploads/{upload_id}/` → 204: cancel, the partial file is removed.

An unknown, finished, expired or someone else's upload is 404. See services/chunked_uploads.py.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import parsers, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.access import project_get_for_user
from annotations.api.images import UploadOutput, order_of, upload_answer, upload_sequence
from annotations.errors import InvalidInput, PayloadTooLarge
from annotations.models import Role
from annotations.services.chunked_uploads import chunk_write, upload_cancel, upload_complete, upload_get, upload_open


class OpenInput(serializers.Serializer):
    name = serializers.CharField(max_length=255, help_text="The file's name; `.zip` is expanded.")
    size = serializers.IntegerField(min_value=1, help_text="The file's size in bytes.")


class CompleteInput(serializers.Serializer):
    order = serializers.ChoiceField(choices=["name", "given"], default="name", required=False)


_STATE = {
    "upload_id": serializers.CharField(),
    "name": serializers.CharField(),
    "size": serializers.IntegerField(),
    "received": serializers.IntegerField(help_text="Bytes received: the next chunk's offset."),
}
StateOutput = inline_serializer("UploadStateOutput", _STATE)
OpenOutput = inline_serializer("UploadOpenOutput", {**_STATE, "chunk_size": serializers.IntegerField()})


def _state(upload) -> dict:
    return {"upload_id": upload.id, "name": upload.name, "size": upload.size, "received": upload.received}


class RawParser(parsers.BaseParser):
    """Declares the chunk's body type; the view reads `request.body` itself."""

    media_type = "application/octet-stream"

    def parse(self, stream, media_type=None, parser_context=None):  # pragma: no cover - never called
        return {}


def _manager_project(request, project_id):
    return project_get_for_user(pk=project_id, user=request.user, role=Role.MANAGER)


class UploadOpenApi(APIView):
    @extend_schema(request=OpenInput, responses={201: OpenOutput})
    def post(self, request, project_id):
        project = _manager_project(request, project_id)
        data = OpenInput(data=request.data)
        if not data.is_valid():
            raise InvalidInput("Send the file's name and size.", **data.errors)
        upload = upload_open(project=project, user=request.user, **data.validated_data)
        return Response({**_state(upload), "chunk_size": settings.UPLOAD_CHUNK_MAX_BYTES}, status=status.HTTP_201_CREATED)


class UploadApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, project_id, upload_id):
        project = _manager_project(request, project_id)
        upload_cancel(upload_get(project=project, user=request.user, upload_id=upload_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class UploadChunkApi(APIView):
    parser_classes = [RawParser]

    @extend_schema(
        parameters=[OpenApiParameter("offset", int, required=True, description="Where the chunk starts in the file.")],
        request={"application/octet-stream": OpenApiTypes.BINARY},
        responses=StateOutput,
    )
    def put(self, request, project_id, upload_id):
        project = _manager_project(request, project_id)
        upload = upload_get(project=project, user=request.user, upload_id=upload_id)
        try:
            offset = int(request.query_params.get("offset", ""))
            if offset < 0:
                raise ValueError
        except ValueError:
            raise InvalidInput("offset must be a byte offset (0 or more).", offset=["A non-negative integer is required."]) from None
        try:
            body = request.body
        except RequestDataTooBig:
            raise PayloadTooLarge(f"A chunk may hold at most {settings.UPLOAD_CHUNK_MAX_BYTES} bytes.") from None
        return Response(_state(chunk_write(upload, offset=offset, data=body)))


class UploadCompleteApi(APIView):
    @extend_schema(request=CompleteInput, responses={201: UploadOutput})
    def post(self, request, project_id, upload_id):
        project = _manager_project(request, project_id)
        upload = upload_get(project=project, user=request.user, upload_id=upload_id)
        result = upload_complete(
            upload, project=project, user=request.user, order=order_of(request.data),
            sequence=upload_sequence(request.data, project),
        )  # fmt: skip
        return upload_answer(project, request.user, result)


urlpatterns = [
    path("projects/<id:project_id>/uploads/", UploadOpenApi.as_view(), name="project-uploads"),
    path("projects/<id:project_id>/uploads/<key:upload_id>/", UploadApi.as_view(), name="project-upload"),
    path("projects/<id:project_id>/uploads/<key:upload_id>/chunks/", UploadChunkApi.as_view(), name="project-upload-chunks"),
    path("projects/<id:project_id>/uploads/<key:upload_id>/complete/", UploadCompleteApi.as_view(), name="project-upload-complete"),
]
