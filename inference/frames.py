"""Stored frames as the numpy arrays a tracker reads (BGR, the size the frame's row records)."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from annotations.models import Image


def frame_read(image: Image) -> np.ndarray:
    """Decode `image`'s file with OpenCV (faster than Pillow for a frame a tracker only reads).

    EXIF orientation is ignored, as Pillow (which measured the frame at upload) does; a decode of
    another size than the row says is resized to it, so boxes stay in the frame's pixels.
    """
    import cv2  # heavy native library: imported in the worker only, when a frame is read

    with image.file.open("rb") as handle:
        data = np.frombuffer(handle.read(), dtype=np.uint8)
    frame = cv2.imdecode(data, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    if frame is None:
        raise ValueError(f"Frame {image.pk} could not be decoded.")
    if frame.shape[:2] != (image.height, image.width):
        frame = cv2.resize(frame, (image.width, image.height), interpolation=cv2.INTER_AREA)
    return frame


def frames_read_ahead(images: list[Image]) -> Iterator[tuple[Image, np.ndarray]]:
    """`(image, frame)` in order, the next frame read and decoded in a side thread while the caller
    tracks and stores this one (OpenCV's decode releases the GIL): storage latency and decode time
    overlap the tracker's work instead of adding to it. Stopping early waits for one read at most."""
    if not images:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="frame-read") as pool:
        pending = pool.submit(frame_read, images[0])
        for index, image in enumerate(images):
            frame = pending.result()
            if index + 1 < len(images):
                pending = pool.submit(frame_read, images[index + 1])
            yield image, frame
