"""Input fields the API modules share: coordinates, and ids of a project's labels, tracks and sequences."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotations.converters import MAX_ID
from annotations.models import Label, Sequence


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
class ProjectRef(serializers.Field):
    """An id of a `model` row of the project `project_id` (the serializer's context), resolved to
    the row; any other id reads as unknown."""

    model = None
    noun = ""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            raise serializers.ValidationError("A valid integer is required.")
        pk = serializers.IntegerField(min_value=1, max_value=MAX_ID).run_validation(data)
        found = self.model.objects.filter(pk=pk, project_id=self.context["project_id"]).first()
        if found is None:
            raise serializers.ValidationError(f"Unknown {self.noun} for this project.")
        return found

    def to_representation(self, value):
        return value.pk


class LabelRef(ProjectRef):
    """A label id of the project."""

    model, noun = Label, "label"


class SequenceRef(ProjectRef):
    """A sequence id of the project, or null (none)."""

    model, noun = Sequence, "sequence"

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, **kwargs)
