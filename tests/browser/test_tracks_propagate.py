"""Track forward in Chromium: T asks the worker to propagate the followed track (a real OpenCV
tracker, in the server's own worker process) and the tracked boxes stream in — progress in the
Tracks panel, frames marked on the timeline strip, the box on the canvas of a frame it reached."""

import io

import pytest
from PIL import Image as PILImage, ImageDraw

from annotations.models import Box, BoxSource, Sequence, Track
from tests.browser.canvas import to_page
from tests.browser.test_annotate_page import open_frame, wait_ready
from tests.factories import ImageFactory, LabelFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser

SERVER_ENV = {"INFERENCE_EXECUTION": "embedded", "INFERENCE_TRACKER": "csrt"}
FRAMES, SIDE, STEP = 14, 60, 8


@pytest.fixture(scope="module")
def daphne_server(django_db_setup, tmp_path_factory):
    """This module's Daphne runs propagations in its own worker process (embedded mode)."""
    from tests.browser.conftest import daphne_with_env

    server = daphne_with_env(SERVER_ENV, tmp_path_factory, "daphne-tracks")
    yield server
    server.stop()


def square_at(t: int) -> tuple[int, int, int, int]:
    return (100 + STEP * t, 150 + STEP // 2 * t, 100 + STEP * t + SIDE, 150 + STEP // 2 * t + SIDE)


def frame_png(t: int) -> bytes:
    """A textured square moving on a known path over a plain background (something a tracker can follow)."""
    picture = PILImage.new("RGB", (480, 360), (46, 58, 72))
    draw = ImageDraw.Draw(picture)
    x0, y0, x1, y1 = square_at(t)
    draw.rectangle([x0, y0, x1 - 1, y1 - 1], fill=(220, 120, 60))
    for i in range(0, SIDE, 12):
        draw.rectangle([x0 + i, y0 + i, x0 + i + 5, y1 - 1], fill=(30, 30, 30))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def test_track_forward_streams_tracked_boxes_into_the_page(new_page, live_url, screenshot, wait_for_js):
    project = ProjectFactory(name="Tracker")
    label = LabelFactory(project=project, name="box", color="#ff7f0e")
    sequence = Sequence.objects.create(project=project, name="square")
    frames = [
        ImageFactory(project=project, sequence=sequence, width=480, height=360, frame_index=t, content=frame_png(t))
        for t in range(FRAMES)
    ]
    user = UserFactory(username="tracy")
    MembershipFactory(project=project, user=user)
    track = Track.objects.create(project=project, sequence=sequence, label=label, number=1, created_by=user)
    x0, y0, x1, y1 = square_at(0)
    Box.objects.create(image=frames[0], label=label, track=track, x_min=x0, y_min=y0, x_max=x1, y_max=y1, created_by=user)

    page = open_frame(new_page(user), frames[0].pk)
    page.mouse.click(*to_page(page, x0 + 20, y0 + 20))  # select the box: its track is followed
    wait_for_js(page, "() => document.getElementById('tracks-panel').querySelector('.panel-body').dataset.track")
    page.fill("#track-frames", "10")
    page.locator("#canvas").focus()
    page.keyboard.press("t")

    # Boxes stream in: the progress counts up and the strip marks each frame as it arrives.
    wait_for_js(page, "() => Number(document.querySelector('.track-forward').dataset.done) > 0", timeout=60)
    wait_for_js(page, "() => ['done', 'lost', 'end'].includes(document.querySelector('.track-forward').dataset.state)", timeout=120)
    done = int(page.get_attribute(".track-forward", "data-done"))
    tracked = list(Box.objects.filter(track=track, source=BoxSource.TRACKED, deleted=False).order_by("image__frame_index"))
    assert done == len(tracked) == 10
    assert page.get_attribute(".track-forward", "data-state") == "done"
    assert "10 / 10 frames" in page.text_content("#track-status")
    states = page.eval_on_selector_all(".timeline-cell", "cells => cells.map((c) => c.dataset.state)")
    assert states[:11] == ["keyframe"] + ["tracked"] * 10
    screenshot(page, "tracks-propagated")

    # On a frame it reached, the tracked box is there, thin and dotted, marked TRK.
    page.click(".timeline-cell[data-frame='6']")
    page.wait_for_url(f"**/images/{frames[6].pk}/")
    wait_ready(page)
    wait_for_js(page, "() => window.hitlAnnotate.renderer.stats.aiMarks.tracked === 1 && window.hitlAnnotate.renderer.stats.filledIn === 1")
    [box] = [b for b in tracked if b.image_id == frames[6].pk]
    truth = square_at(6)
    overlap_x = min(box.x_max, truth[2]) - max(box.x_min, truth[0])
    overlap_y = min(box.y_max, truth[3]) - max(box.y_min, truth[1])
    assert overlap_x > SIDE * 0.7 and overlap_y > SIDE * 0.7  # the tracker followed the square
    assert page.js_errors == []
