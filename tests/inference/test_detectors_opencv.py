"""The offline OpenCV backend: real cascades on a real photo, and its closed vocabulary."""

import io
import subprocess
import sys

import numpy as np

import pytest
from PIL import Image as PILImage
from skimage import data

from inference.detectors.base import UnsupportedPrompt
from inference.detectors.opencv import OpenCVDetector
from tests.factories import ImageFactory

# Eileen Collins' face in skimage's astronaut (512x512), measured by hand once: from the
# hairline above the eyebrows to the chin, cheek to cheek.
ASTRONAUT_FACE = (178, 72, 278, 180)


def iou(a, b) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def test_face_on_the_astronaut_overlaps_the_hand_measured_face():
    image = PILImage.fromarray(data.astronaut())
    stats = {}
    [(prompt, boxes)] = list(OpenCVDetector().detect(image, ["face"], stats=stats))
    assert prompt == "face"
    assert boxes, "no face found"
    best = max(boxes, key=lambda b: iou((b.x_min, b.y_min, b.x_max, b.y_max), ASTRONAUT_FACE))
    assert iou((best.x_min, best.y_min, best.x_max, best.y_max), ASTRONAUT_FACE) > 0.5
    assert 0 < best.score <= 1
    assert stats["encode_calls"] == 1


def test_an_unsupported_prompt_lists_the_supported_ones():
    with pytest.raises(UnsupportedPrompt) as caught:
        list(OpenCVDetector().detect(PILImage.new("RGB", (32, 32)), ["face", "giraffe"]))
    assert caught.value.prompts == ["giraffe"]
    assert "face" in str(caught.value) and "person" in str(caught.value)


@pytest.mark.django_db
def test_detect_with_an_unsupported_prompt_is_a_400_listing_the_supported_ones(
    settings, project, annotator, client_for
):
    settings.INFERENCE_BACKEND = "opencv"
    image = ImageFactory(project=project, width=40, height=30)
    response = client_for(annotator).post(f"/api/images/{image.pk}/detect/", {"prompts": "face, giraffe"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "giraffe" in body["detail"]
    assert "face" in body["supported"] and "person" in body["supported"]
    assert not image.detection_jobs.exists()


@pytest.mark.django_db
def test_a_face_job_on_the_astronaut_stores_the_face(settings, project, annotator, client_for):
    from inference.services import job_run

    settings.INFERENCE_BACKEND = "opencv"
    buffer = io.BytesIO()
    PILImage.fromarray(data.astronaut()).save(buffer, format="PNG")
    image = ImageFactory(project=project, width=512, height=512, content=buffer.getvalue())
    response = client_for(annotator).post(f"/api/images/{image.pk}/detect/", {"prompts": ["face"]}, format="json")
    assert response.status_code == 202
    assert response.json()["backend"] == "opencv"
    job = job_run(job_id=response.json()["id"])
    assert job.status == "done"
    [prediction] = job.predictions.all()
    assert iou((prediction.x_min, prediction.y_min, prediction.x_max, prediction.y_max), ASTRONAUT_FACE) > 0.5


@pytest.mark.parametrize("size", [(64, 48), (100, 50), (128, 64), (48, 64), (640, 10), (1, 1), (1, 20000), (10, 640), (32, 32)])
def test_person_on_a_frame_below_the_hog_window_does_not_crash_the_process(size):
    """HOG reads out of bounds below 64x128; run in a child so a native crash fails this test, not pytest."""
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'hitl_project.settings'); django.setup()\n"
        "from PIL import Image\n"
        "from inference.detectors.opencv import OpenCVDetector\n"
        f"print(list(OpenCVDetector().detect(Image.new('RGB', {size!r}), ['person', 'face'])))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "('person', [])" in done.stdout


def test_a_frame_over_the_pixel_cap_is_detected_downscaled_with_boxes_in_original_pixels(settings):
    settings.INFERENCE_MAX_PIXELS = 100_000
    from inference.detectors.opencv import _fit

    gray = np.zeros((2000, 3000), dtype=np.uint8)
    small, k = _fit(gray, minimum=(80, 144), max_pixels=100_000)
    assert small.shape[0] * small.shape[1] <= 101_000 and k < 1
    big, k = _fit(np.zeros((48, 64), dtype=np.uint8), minimum=(80, 144), max_pixels=100_000)
    assert big.shape[1] >= 80 and big.shape[0] >= 144 and k > 1
