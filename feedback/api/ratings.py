"""Frame feedback over REST: `GET, PUT, DELETE /api/images/{id}/feedback/`.

All three answer 200 with `{image, rating, summary: {positive, neutral, negative, total}}`,
where `rating` is the caller's own (null when none). PUT takes `{rating: 1 | 0 | -1}`;
DELETE clears the caller's rating. Any member of the frame's project may rate it.
"""

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.access import image_get_for_user
from annotations.models import Rating
from feedback.services import feedback_clear, feedback_for_user, feedback_set, feedback_summary


class RatingInput(serializers.Serializer):
    rating = serializers.ChoiceField(choices=Rating.values)

    def validate_rating(self, value):
        return int(value)


FeedbackOutput = inline_serializer(
    "FrameFeedback",
    {
        "image": serializers.IntegerField(),
        "rating": serializers.IntegerField(allow_null=True),
        "summary": inline_serializer(
            "FeedbackSummary",
            {name: serializers.IntegerField() for name in ("positive", "neutral", "negative", "total")},
        ),
    },
)


def _state(*, image, user) -> dict:
    return {
        "image": image.pk,
        "rating": feedback_for_user(image=image, user=user),
        "summary": feedback_summary(image=image),
    }


class ImageFeedbackApi(APIView):
    @extend_schema(responses=FeedbackOutput)
    def get(self, request, image_id):
        image = image_get_for_user(pk=image_id, user=request.user)
        return Response(_state(image=image, user=request.user))

    @extend_schema(request=RatingInput, responses=FeedbackOutput)
    def put(self, request, image_id):
        image = image_get_for_user(pk=image_id, user=request.user)
        data = RatingInput(data=request.data)
        data.is_valid(raise_exception=True)
        feedback_set(image=image, user=request.user, rating=data.validated_data["rating"])
        return Response(_state(image=image, user=request.user))

    @extend_schema(request=None, responses={200: FeedbackOutput})  # the cleared state, not a 204
    def delete(self, request, image_id):
        image = image_get_for_user(pk=image_id, user=request.user)
        feedback_clear(image=image, user=request.user)
        return Response(_state(image=image, user=request.user))


urlpatterns = [path("images/<id:image_id>/feedback/", ImageFeedbackApi.as_view(), name="image-feedback")]
