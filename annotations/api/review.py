"""The review workflow over REST. Thin: parse → service → serialize.

- `POST /api/images/{id}/submit/` — annotator or above; 200 with the frame's review state;
  already submitted or approved → 409 with the reason.
- `POST /api/images/{id}/review/` `{decision: approve|reject, comment}` — reviewer or above
  (an annotator gets 403); a rejection needs a comment (400); approve only a submitted frame,
  reject a submitted or an approved one (reopen) — anything else is 409.
- `GET /api/projects/{id}/review-queue/` — reviewer or above; submitted frames, oldest
  submission first, paginated `{count, next, previous, results}`.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.access import image_get_for_user, project_get_for_user
from annotations.api.pagination import Pagination
from annotations.models import Role
from annotations.selectors.boxes import user_brief
from annotations.selectors.live import image_status_dict
from annotations.selectors.review import review_queue_for_project
from annotations.services.review import COMMENT_MAX_LENGTH, DECISIONS, image_review, image_submit


class UserBrief(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class ReviewStateOutput(serializers.Serializer):
    """A frame's review state: `{image, project, status, review_comment, submitted_by, reviewed_by}`."""

    image = serializers.IntegerField()
    project = serializers.IntegerField()
    status = serializers.CharField()
    review_comment = serializers.CharField(allow_blank=True)
    submitted_by = UserBrief(allow_null=True)
    reviewed_by = UserBrief(allow_null=True)
    status_at = serializers.DateTimeField(allow_null=True, help_text="When the frame's status last changed.")

    def to_representation(self, instance):
        return image_status_dict(instance)


class ReviewInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=DECISIONS)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=COMMENT_MAX_LENGTH)


def _datetime(value):
    return None if value is None else serializers.DateTimeField().to_representation(value)


class ReviewQueueItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField()
    frame_index = serializers.IntegerField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    status = serializers.CharField()
    review_comment = serializers.CharField(allow_blank=True)
    submitted_by = UserBrief(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    box_count = serializers.IntegerField()

    def to_representation(self, image):
        return {
            "id": image.pk,
            "project": image.project_id,
            "frame_index": image.frame_index,
            "width": image.width,
            "height": image.height,
            "status": image.status,
            "review_comment": image.review_comment,
            "submitted_by": user_brief(image.submitted_by) if image.submitted_by_id else None,
            "submitted_at": _datetime(image.submitted_at),
            "box_count": image.box_count,
        }


class ImageSubmitApi(APIView):
    @extend_schema(request=None, responses=ReviewStateOutput)
    def post(self, request, image_id):
        image = image_get_for_user(pk=image_id, user=request.user)
        image = image_submit(image=image, user=request.user)
        return Response(ReviewStateOutput(image).data)


class ImageReviewApi(APIView):
    @extend_schema(request=ReviewInput, responses=ReviewStateOutput)
    def post(self, request, image_id):
        image = image_get_for_user(pk=image_id, user=request.user, role=Role.REVIEWER)
        data = ReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        image = image_review(image=image, user=request.user, **data.validated_data)
        return Response(ReviewStateOutput(image).data)


class ReviewQueueApi(APIView):
    @extend_schema(responses=ReviewQueueItemOutput(many=True))
    def get(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user, role=Role.REVIEWER)
        paginator = Pagination()
        page = paginator.paginate_queryset(review_queue_for_project(project=project), request, view=self)
        return paginator.get_paginated_response(ReviewQueueItemOutput(page, many=True).data)


urlpatterns = [
    path("images/<id:image_id>/submit/", ImageSubmitApi.as_view(), name="image-submit"),
    path("images/<id:image_id>/review/", ImageReviewApi.as_view(), name="image-review"),
    path("projects/<id:project_id>/review-queue/", ReviewQueueApi.as_view(), name="project-review-queue"),
]
