"""Input fields the API modules share: coordinates, and ids of a project's labels and tracks."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotations.converters import MAX_ID
from annotations.models import Label


class Coordinate(serializers.FloatField):
    """A finite number (DRF already refuses NaN, ±inf and overflow); booleans are not numbers."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class ProjectObjectId(serializers.IntegerField):
    """The id of a label or track (1 … MAX_ID; booleans are not ids). The box services resolve it
    within the frame's project — a label in the query that locks the frame, a track in one of its
    own — and answer an unknown one, or another project's, with a 400 naming the field."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.INT)
class LabelRef(serializers.Field):
    """A label id, resolved within the project `project_id` of the serializer's context; any other id reads as unknown."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            raise serializers.ValidationError("A valid integer is required.")
        label_id = serializers.IntegerField(min_value=1, max_value=MAX_ID).run_validation(data)
        label = Label.objects.filter(pk=label_id, project_id=self.context["project_id"]).first()
        if label is None:
            raise serializers.ValidationError("Unknown label for this project.")
        return label

    def to_representation(self, value):
        return value.pk
