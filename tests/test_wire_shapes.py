"""One wire shape per object: each output serializer renders with its selector's `*_to_dict` (the one
source REST, websockets and exports share), and the fields it declares for the schema are exactly the
keys that function writes, so the documented shape and the sent one cannot drift apart."""

import pytest

from annotations.api.boxes import BoxOutput, EventOutput
from annotations.api.review import ReviewStateOutput
from annotations.api.tracks import TrackBoxOutput, TrackOutput
from annotations.selectors.boxes import box_to_dict, event_to_dict
from annotations.selectors.live import image_status_dict
from annotations.selectors.tracks import track_box_to_dict, track_live_boxes, track_to_dict, track_with_details
from annotations.services.boxes import box_create
from annotations.services.tracks import track_create
from inference.api.serializers import JobOutput, PredictionOutput
from inference.models import DetectionJob, Prediction
from inference.selectors import job_to_dict, prediction_to_dict


@pytest.fixture
def objects(image, label, annotator):
    box = box_create(image=image, user=annotator, label=label, x_min=1, y_min=1, x_max=9, y_max=9)
    job = DetectionJob.objects.create(image=image, prompts=["person"], status="done", created_by=annotator)
    prediction = Prediction.objects.create(job=job, image=image, label=label, prompt="person",
                                           x_min=1, y_min=1, x_max=9, y_max=9, score=0.9)  # fmt: skip
    track = track_create(project=image.project, user=annotator, label=label)
    box_create(image=image, user=annotator, label=label, track=track, x_min=20, y_min=1, x_max=29, y_max=9)
    return {"box": box, "event": box.events.get(), "job": job, "prediction": prediction, "image": image,
            "track": track_with_details(pk=track.pk), "track box": track_live_boxes(track).get()}


@pytest.mark.parametrize(
    ("serializer", "render", "name"),
    [
        (BoxOutput, box_to_dict, "box"),
        (EventOutput, event_to_dict, "event"),
        (JobOutput, job_to_dict, "job"),
        (PredictionOutput, prediction_to_dict, "prediction"),
        (ReviewStateOutput, image_status_dict, "image"),
        (TrackOutput, track_to_dict, "track"),
        (TrackBoxOutput, track_box_to_dict, "track box"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_declared_fields_are_the_rendered_shape(objects, serializer, render, name):
    instance = objects[name]
    rendered = render(instance)
    assert serializer(instance).data == rendered
    assert set(serializer().fields) == set(rendered)
