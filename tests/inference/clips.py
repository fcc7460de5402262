"""A synthetic clip for tracker tests: a textured square moving along a known path over a textured background."""

import numpy as np

WIDTH, HEIGHT = 320, 240
SIDE = 48


def square_path(frames: int = 30, *, exit_after: int | None = None) -> list[tuple[float, float, float, float]]:
    """The square's true box on each frame: right and a little down, 6 px a frame; from
    `exit_after` on it runs out of the right edge at 40 px a frame."""
    boxes = []
    x, y = 30.0, 60.0
    for index in range(frames):
        if exit_after is not None and index > exit_after:
            x += 40.0
        elif index:
            x, y = x + 6.0, y + 2.0
        boxes.append((x, y, x + SIDE, y + SIDE))
    return boxes


def square_clip(path, *, seed: int = 3) -> list[np.ndarray]:
    """BGR frames with a checkered, noisy square at each box of `path` (cut at the frame's edge)."""
    rng = np.random.default_rng(seed)
    background = (rng.integers(60, 120, (HEIGHT // 8, WIDTH // 8, 3), dtype=np.uint8)
                  .repeat(8, axis=0).repeat(8, axis=1))
    tile = np.indices((SIDE, SIDE)).sum(axis=0) // 8 % 2  # 8-pixel checkerboard
    sprite = np.stack([tile * 200 + 30, (1 - tile) * 180 + 40, np.full_like(tile, 220)], axis=-1).astype(np.uint8)
    frames = []
    for x_min, y_min, _, _ in path:
        frame = background.copy()
        x0, y0 = int(x_min), int(y_min)
        x1, y1 = min(WIDTH, x0 + SIDE), min(HEIGHT, y0 + SIDE)
        if x1 > x0 and y1 > y0:
            frame[y0:y1, x0:x1] = sprite[: y1 - y0, : x1 - x0]
        noise = rng.normal(0, 4, frame.shape)
        frames.append(np.clip(frame + noise, 0, 255).astype(np.uint8))
    return frames


def in_view(box, *, share: float = 0.5) -> bool:
    x0, y0, x1, y1 = box
    inside = max(0.0, min(WIDTH, x1) - max(0, x0)) * max(0.0, min(HEIGHT, y1) - max(0, y0))
    return inside >= share * (x1 - x0) * (y1 - y0)
