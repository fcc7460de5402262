"""A stored clip of the synthetic square (real PNG frames in a sequence) and a track starting on it."""

import hashlib

import cv2
from django.core.files.base import ContentFile

from annotations.models import Box, BoxSource, Image, Sequence
from annotations.services.tracks import track_create
from tests.inference.clips import HEIGHT, WIDTH, square_clip, square_path


def stored_clip(project, *, frames: int = 30, exit_after: int | None = None, name: str = "square"):
    """`(images, path)`: the clip's frames as Image rows of one sequence, and the square's true boxes."""
    path = square_path(frames, exit_after=exit_after)
    encoded = [cv2.imencode(".png", frame)[1].tobytes() for frame in square_clip(path)]
    return stored_frames(project, encoded, name=name, width=WIDTH, height=HEIGHT), path


def stored_frames(project, encoded: list[bytes], *, name: str, width: int, height: int, extension: str = "png"):
    """Encoded frames stored as the Image rows of a new sequence `name`, in order."""
    sequence = Sequence.objects.create(project=project, name=name)
    return [
        Image.objects.create(
            project=project, sequence=sequence, frame_index=index, format="JPEG" if extension == "jpg" else "PNG",
            width=width, height=height, sha256=hashlib.sha256(content).hexdigest(),
            file=ContentFile(content, name=f"{name}{index}.{extension}"),
        )
        for index, content in enumerate(encoded)
    ]


def track_on(images, path, *, label, user):
    """A track with a person's box on the first frame, at the square's true box."""
    track = track_create(project=images[0].project, user=user, label=label, sequence=images[0].sequence)
    x_min, y_min, x_max, y_max = path[0]
    Box.objects.create(image=images[0], label=label, track=track, source=BoxSource.HUMAN, keyframe=True,
                       x_min=x_min, y_min=y_min, x_max=x_max, y_max=y_max, created_by=user, updated_by=user)
    return track
