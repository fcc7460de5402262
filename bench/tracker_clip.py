"""A 1280×720 clip built from real photographs, for measuring single-object trackers offline.

There is no video to download here, so the clip is made from photographs that ship inside
installed packages: scikit-learn's `china.jpg` as the scene and scikit-image's `chelsea.png` (a
cat) as the object. Over `frames` frames the camera pans slowly across the scene, the cat moves
along a curved path while it grows to 1.6× (coming closer), a post of the scene's own texture
passes in front of it (up to ~45 % of it hidden for a few frames), the light flickers, sensor
noise is added, and every frame goes through JPEG at quality 85 as uploaded frames do. In the
last `exit_frames` frames it walks out of the right edge. Returns frames (BGR uint8) and the
true box of the object on each frame (None once less than half of it is in view).
"""

import math
from pathlib import Path

import numpy as np

WIDTH, HEIGHT = 1280, 720


def _photo(module: str, relative: str) -> np.ndarray:
    import cv2

    package = __import__(module)
    path = Path(package.__file__).parent / relative
    picture = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if picture is None:
        raise FileNotFoundError(path)
    return picture


def build_clip(frames: int = 120, exit_frames: int = 20, seed: int = 7):
    import cv2

    rng = np.random.default_rng(seed)
    scene = cv2.resize(_photo("sklearn", "datasets/images/china.jpg"), (WIDTH + 400, HEIGHT + 100), interpolation=cv2.INTER_CUBIC)
    cat = _photo("skimage", "data/chelsea.png")[20:280, 120:360]  # the cat's head and shoulders
    post = scene[:, 200:260].copy()  # a strip of the scene itself, so it is not trivially separable
    base_w, base_h = 150, 162
    clip, truth = [], []
    tracked = frames - exit_frames
    for index in range(frames):
        t = index / max(1, tracked - 1)
        pan = int(round(min(index, tracked) * 1.5))
        frame = scene[50:50 + HEIGHT, pan:pan + WIDTH].copy()
        scale = 1.0 + 0.6 * min(t, 1.0)
        w, h = int(round(base_w * scale)), int(round(base_h * scale))
        if index < tracked:
            cx = 250 + 700 * t
            cy = 330 + 120 * math.sin(math.pi * t)
        else:  # leaves to the right, fast
            cx = 950 + (index - tracked + 1) * 40
            cy = 330
        x0, y0 = int(round(cx - w / 2)), int(round(cy - h / 2))
        sprite = cv2.resize(cat, (w, h), interpolation=cv2.INTER_AREA)
        fx0, fy0, fx1, fy1 = max(0, x0), max(0, y0), min(WIDTH, x0 + w), min(HEIGHT, y0 + h)
        if fx1 > fx0 and fy1 > fy0:
            frame[fy0:fy1, fx0:fx1] = sprite[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0]
        post_x = int(round(900 - 20 * (index - 40)))  # sweeps leftwards across the cat around frames 48–58
        if -60 < post_x < WIDTH:
            px0, px1 = max(0, post_x), min(WIDTH, post_x + 60)
            frame[:, px0:px1] = post[:HEIGHT, px0 - post_x:px1 - post_x]
        gain = 1.0 + 0.12 * math.sin(index / 5.0)
        noisy = frame.astype(np.float32) * gain + rng.normal(0, 6, frame.shape)
        frame = np.clip(noisy, 0, 255).astype(np.uint8)
        ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
        clip.append(cv2.imdecode(encoded, cv2.IMREAD_COLOR))
        inside = max(0, fx1 - fx0) * max(0, fy1 - fy0)
        truth.append((float(fx0), float(fy0), float(fx1), float(fy1)) if inside >= 0.5 * w * h else None)
    return clip, truth
