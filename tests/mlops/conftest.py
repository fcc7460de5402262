import mlflow
import pytest

from annotations.models import Box, ImageStatus, Sequence, Track
from tests.factories import BoxFactory, ImageFactory, LabelFactory


@pytest.fixture
def dataset_project(project, manager):
    """Three labelled frames (approved, submitted, new) of different sizes, boxes incl. a deleted one."""
    person = LabelFactory(project=project, name="person", color="#112233")
    car = LabelFactory(project=project, name="car", prompt="vehicle")
    LabelFactory(project=project, name="unused")
    approved = ImageFactory(project=project, width=640, height=480, status=ImageStatus.APPROVED, frame_index=0)
    submitted = ImageFactory(project=project, width=320, height=200, status=ImageStatus.SUBMITTED, frame_index=1)
    new = ImageFactory(project=project, width=100, height=100, status=ImageStatus.NEW, frame_index=2)
    BoxFactory(image=approved, label=person, x_min=10.25, y_min=20.5, x_max=110.75, y_max=220.125)
    BoxFactory(image=approved, label=car, x_min=300, y_min=100, x_max=640, y_max=480)
    BoxFactory(image=approved, label=car, x_min=1, y_min=1, x_max=5, y_max=5, deleted=True)
    BoxFactory(image=submitted, label=person, x_min=0, y_min=0, x_max=320, y_max=200)
    BoxFactory(image=new, label=car, x_min=5, y_min=6, x_max=50.5, y_max=60.5)
    project.refresh_from_db()
    return project


def live_boxes(project, statuses=None):
    """{(frame sha256, label name): [xyxy, ...]} from the database, the truth exports are checked against."""
    boxes = Box.objects.filter(image__project=project, deleted=False).select_related("image", "label")
    if statuses:
        boxes = boxes.filter(image__status__in=statuses)
    out = {}
    for b in boxes:
        out.setdefault((b.image.sha256, b.label.name), []).append((b.x_min, b.y_min, b.x_max, b.y_max))
    return {k: sorted(v) for k, v in out.items()}


def runs_of(project, uri, kind=None):
    """The project's active runs as the real `mlflow` client sees them (optionally of one kind)."""
    from tracking.runs import project_experiment

    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=[project_experiment(project)], output_format="list")
    return [r for r in runs if kind is None or r.data.tags.get("hitl.kind") == kind]


@pytest.fixture
def tracked_project(project):
    """Two sequences and two frames in none, with tracks whose paths the tests know.

    Frame indices interleave the sequences and frames are created out of order, so an export
    that followed ids or project-wide order instead of each sequence's frame order would show.
    Returns (project, truth): truth[sequence name or None] = {"frames": [Image, ...] in order,
    "boxes": {(frame number, track number or None): (x_min, y_min, x_max, y_max, keyframe, source)}}.
    """
    person = LabelFactory(project=project, name="person")
    car = LabelFactory(project=project, name="car")
    clip_a = Sequence.objects.create(project=project, name="Clip A")
    clip_b = Sequence.objects.create(project=project, name="clip/b")
    layout = [(clip_a, (320, 240), [10, 12, 14, 16, 18]), (clip_b, (200, 100), [11, 13, 15]), (None, (64, 48), [0, 1])]
    truth = {}
    for sequence, (width, height), indices in layout:
        frames = [ImageFactory(project=project, sequence=sequence, width=width, height=height, frame_index=i,
                               status=ImageStatus.APPROVED) for i in reversed(indices)][::-1]
        truth[sequence.name if sequence else None] = {"frames": frames, "boxes": {}}

    def put(sequence, number_in_sequence, track, label, coords, keyframe=True, source="human", deleted=False):
        part = truth[sequence.name if sequence else None]
        image = part["frames"][number_in_sequence - 1]
        Box.objects.create(image=image, label=label, track=track, keyframe=keyframe, source=source, deleted=deleted,
                           x_min=coords[0], y_min=coords[1], x_max=coords[2], y_max=coords[3])
        if not deleted:
            part["boxes"][(number_in_sequence, track.number if track else None)] = (*coords, keyframe, source)

    walker = Track.objects.create(project=project, sequence=clip_a, label=person, number=1)
    for k in range(1, 6):  # keyframes at 1 and 5, interpolated between
        x = 10 + 7.5 * (k - 1)
        put(clip_a, k, walker, person, (x, 20.0, x + 30.25, 60.0), keyframe=k in (1, 5),
            source="human" if k in (1, 5) else "interpolated")
    driver = Track.objects.create(project=project, sequence=clip_a, label=car, number=4)
    put(clip_a, 1, driver, car, (200.0, 100.0, 260.0, 140.0), deleted=True)
    for k in range(2, 5):
        put(clip_a, k, driver, car, (200.0 - 10 * k, 100.0, 260.0 - 10 * k, 140.5), keyframe=k == 2,
            source="human" if k == 2 else "tracked")
    put(clip_a, 3, None, car, (1.0, 2.0, 11.0, 12.0))
    runner = Track.objects.create(project=project, sequence=clip_b, label=person, number=2)
    for k in range(1, 4):
        put(clip_b, k, runner, person, (5.0 * k, 5.0, 5.0 * k + 20.0, 45.125))
    put(None, 2, None, person, (3.0, 4.0, 13.0, 24.0))
    return project, truth
