"""AI-audit metrics and the next frame to work on.

- `GET /api/projects/{id}/metrics/` — `metrics_for_project` as JSON; filters `label` (a label
  id of the project), `revision` (DetectionJob.revision), `since` / `until` (ISO date or
  datetime; a bare `until` date includes that whole day). Bad values are a 400.
- `POST /api/projects/{id}/next/` — reserve the caller's next frame and return it:
  `{image, reason, disagreement, reserved_seconds, url}`, `image` null when nothing is left to do.
  `GET` answers the same without reserving anything (`reserved_seconds` 0). Members only;
  outside the project is a 404.
"""

import datetime as dt

from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.access import project_get_for_user
from annotations.api.images import ImageOutput
from annotations.converters import MAX_ID
from annotations.errors import InvalidInput
from annotations.models import Label
from annotations.selectors.images import image_with_details
from feedback.queue import next_frame_peek, next_frame_reserve
from feedback.selectors import metrics_for_project


FIRST_MOMENT = dt.datetime.min.replace(tzinfo=dt.UTC)
LAST_MOMENT = dt.datetime.max.replace(tzinfo=dt.UTC)


def _moment(value: str, *, end: bool):
    """An ISO date or datetime as an aware UTC datetime; a date means its start (or, for `end`, the next day's).

    Moments past either end of the calendar (the day after 9999-12-31, a +14:00 offset on 0001-01-01)
    clamp to its ends: as filters they mean "everything", and arithmetic on them must not overflow.
    """
    parsed = None
    try:
        day = parse_date(value)  # first: parse_datetime would also read a bare date, as midnight
        if day is not None:
            if end and day == dt.date.max:
                return LAST_MOMENT
            parsed = dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time())
        else:
            parsed = parse_datetime(value)
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        raise serializers.ValidationError("Use an ISO date (2026-01-31) or datetime (2026-01-31T12:00:00Z).")
    if timezone.is_naive(parsed):
        return parsed.replace(tzinfo=dt.UTC)
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:
        return LAST_MOMENT if parsed.year == dt.MAXYEAR else FIRST_MOMENT


class MetricsFilter(serializers.Serializer):
    label = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    revision = serializers.CharField(required=False, max_length=100, allow_blank=True)
    since = serializers.CharField(required=False, max_length=40)
    until = serializers.CharField(required=False, max_length=40)

    def validate_since(self, value):
        return _moment(value, end=False)

    def validate_until(self, value):
        return _moment(value, end=True)

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": ["`until` must be after `since`."]})
        return attrs


class ProjectMetricsApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("label", int, description="A label id of the project."),
            OpenApiParameter("revision", str, description="Model revision (DetectionJob.revision)."),
            OpenApiParameter("since", str, description="ISO date or datetime, inclusive."),
            OpenApiParameter("until", str, description="ISO date (inclusive day) or datetime (exclusive)."),
        ],
        responses={200: dict},
    )
    def get(self, request, project_id):
        project = project_get_for_user(pk=project_id, user=request.user)
        filters = MetricsFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        options = dict(filters.validated_data)
        if "label" in options:
            label = Label.objects.filter(project=project, pk=options["label"]).first()
            if label is None:
                raise InvalidInput("No such label in this project.", label=["Unknown label."])
            options["label"] = label
        return Response(metrics_for_project(project=project, **options))


class NextFrameApi(APIView):
    @extend_schema(responses={200: dict}, description="The frame a POST would reserve now; reserves nothing.")
    def get(self, request, project_id):
        return self._answer(request, project_id, next_frame_peek)

    @extend_schema(request=None, responses={200: dict}, description="Reserve the caller's next frame.")
    def post(self, request, project_id):
        return self._answer(request, project_id, next_frame_reserve)

    @staticmethod
    def _answer(request, project_id, find):
        project = project_get_for_user(pk=project_id, user=request.user)
        item = find(project_id=project.pk, user=request.user)
        if item is None:
            return Response({"image": None, "reason": "nothing_to_do", "disagreement": None, "url": None})
        return Response(
            {
                "image": ImageOutput(image_with_details(pk=item["id"], user=request.user)).data,
                "reason": item["reason"],
                "disagreement": item["disagreement"],
                "reserved_seconds": item["reserved_seconds"],
                "url": f"/images/{item['id']}/",
            }
        )


urlpatterns = [
    path("projects/<id:project_id>/metrics/", ProjectMetricsApi.as_view(), name="project-metrics"),
    path("projects/<id:project_id>/next/", NextFrameApi.as_view(), name="project-next"),
]
