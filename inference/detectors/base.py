"""The one small interface every detector backend implements.

A backend knows nothing of the ORM: it takes a PIL image and a list of atomic prompts and
yields `(prompt, [Detection, ...])` for each prompt as soon as that prompt is done, in the
order given. Pixel coordinates of the image it was given, clipped to it, min < max.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Detection:
    x_min: float
    y_min: float
    x_max: float
    y_max: float
    score: float | None = None


class DetectorUnavailable(RuntimeError):
    """The backend cannot run here (no weights, no endpoint…); the message says how to fix it."""


class UnsupportedPrompt(ValueError):
    """A closed-vocabulary backend was asked for something it cannot find."""

    def __init__(self, prompts: Sequence[str], supported: Sequence[str]):
        self.prompts, self.supported = list(prompts), list(supported)
        super().__init__(
            f"This detector cannot find {', '.join(map(repr, self.prompts))}; it supports: {', '.join(self.supported)}."
        )


class Detector(Protocol):
    name: str
    # None: open vocabulary (any noun); otherwise the only prompts it understands.
    supported_prompts: tuple[str, ...] | None

    def detect(self, image, prompts: Sequence[str], *, stats: dict | None = None) -> Iterator[tuple[str, list[Detection]]]:
        """Yield each prompt's detections as soon as they are ready. `stats`, when given, is filled
        with `encode_calls` and `encode_seconds` for this call."""

    def status(self) -> dict:
        """What the status endpoint shows: `backend`, `model`, `revision`, `device`, `supported_prompts`."""


def pixel_box(
    x_min: float, y_min: float, x_max: float, y_max: float, *, width: int, height: int, score=None, scale: bool = True
) -> Detection | None:
    """A box from normalised (`scale`) or pixel coordinates, clipped to the image; None when empty after clipping."""
    if scale:
        x_min, x_max = x_min * width, x_max * width
        y_min, y_max = y_min * height, y_max * height
    x_min, x_max = sorted((min(max(float(x_min), 0.0), width), min(max(float(x_max), 0.0), width)))
    y_min, y_max = sorted((min(max(float(y_min), 0.0), height), min(max(float(y_max), 0.0), height)))
    if not (x_min < x_max and y_min < y_max):
        return None
    return Detection(
        round(x_min, 2), round(y_min, 2), round(x_max, 2), round(y_max, 2), None if score is None else float(score)
    )


def check_supported(detector, prompts: Sequence[str]) -> None:
    """Raise UnsupportedPrompt when a closed-vocabulary detector is asked for something else."""
    supported = detector.supported_prompts
    if supported is None:
        return
    unknown = [p for p in prompts if p not in supported]
    if unknown:
        raise UnsupportedPrompt(unknown, supported)
