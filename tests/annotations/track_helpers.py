"""Clips for the track tests: many frame rows at once (no files: nothing here reads pixels)."""

import hashlib

from annotations.models import Image, Sequence


def make_clip(project, frames: int, *, name: str = "clip", width: int = 640, height: int = 480, start: int = 0):
    """A sequence of `frames` frames (frame_index start, start+1…), returned in frame order."""
    sequence = Sequence.objects.create(project=project, name=name)
    images = Image.objects.bulk_create(
        Image(
            project=project,
            sequence=sequence,
            file=f"clips/{name}/{n}.png",
            format="PNG",
            sha256=hashlib.sha256(f"{project.pk}/{name}/{n}".encode()).hexdigest(),
            width=width,
            height=height,
            frame_index=start + n,
        )
        for n in range(frames)
    )
    return sequence, images
