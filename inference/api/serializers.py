"""Input and output shapes of the inference API (outputs render through the shared selectors)."""

from rest_framework import serializers

from annotations.api.boxes import BoxOutput
from annotations.api.fields import Coordinate, LabelRef
from annotations.converters import MAX_ID
from inference.models import PredictionStatus
from inference.selectors import job_to_dict, prediction_to_dict


class JobOutput(serializers.Serializer):
    id = serializers.IntegerField()
    image = serializers.IntegerField()
    prompts = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField()
    kind = serializers.ChoiceField(choices=["detect", "propagate"])
    track = serializers.IntegerField(allow_null=True)
    frames = serializers.IntegerField()
    backend = serializers.CharField()
    model = serializers.CharField()
    revision = serializers.CharField()
    device = serializers.CharField()
    error = serializers.CharField()
    attempts = serializers.IntegerField()
    timings = serializers.JSONField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance):
        return job_to_dict(instance)


class PredictionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    job = serializers.IntegerField()
    image = serializers.IntegerField()
    prompt = serializers.CharField()
    label = serializers.IntegerField(allow_null=True)
    rank = serializers.IntegerField()
    x_min = serializers.FloatField()
    y_min = serializers.FloatField()
    x_max = serializers.FloatField()
    y_max = serializers.FloatField()
    score = serializers.FloatField(allow_null=True)
    track = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=PredictionStatus.choices)
    decided_by = serializers.IntegerField(allow_null=True)

    def to_representation(self, instance):
        return prediction_to_dict(instance)


class DetectInput(serializers.Serializer):
    """`prompts`: a list of nouns or one comma-separated string; omitted → the project's label prompts."""

    prompts = serializers.JSONField(required=False, help_text='["person", "car"] or "person, car"')
    frames = serializers.IntegerField(
        required=False, default=1, min_value=1, max_value=100_000,
        help_text="Detect on this frame and the next frames − 1 of its sequence (at most INFERENCE_DETECT_MAX_FRAMES).",
    )


class AcceptInput(serializers.Serializer):
    """Optional corrections: any of the coordinates, and/or another label of the project."""

    label = LabelRef(required=False)
    x_min = Coordinate(required=False)
    y_min = Coordinate(required=False)
    x_max = Coordinate(required=False)
    y_max = Coordinate(required=False)


class PredictionsFilter(serializers.Serializer):
    status = serializers.ChoiceField(choices=PredictionStatus.choices, required=False)
    job = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)


class AcceptOutput(serializers.Serializer):
    prediction = PredictionOutput()
    box = BoxOutput()


class PropagateInput(serializers.Serializer):
    """`from_image`: the frame the track's box is on; `frames`: how many frames after it to follow."""

    from_image = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    frames = serializers.IntegerField(min_value=1, max_value=100_000)
