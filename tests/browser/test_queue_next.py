"""N on the annotate page opens the frame the server's queue says to do next."""

import pytest

from tests.browser.test_annotate_page import open_frame, scene, wait_ready  # noqa: F401  (scene is a fixture)
from tests.factories import BoxFactory

pytestmark = pytest.mark.browser


def test_n_opens_the_next_unevaluated_frame(new_page, scene):  # noqa: F811
    """Frame 0 already has a box (evaluated); frame 1 has none, so N goes there."""
    BoxFactory(image=scene["frame"], label=scene["car"], x_min=10, y_min=10, x_max=100, y_max=90)
    page = open_frame(new_page(scene["user"]), scene["frame"].pk)

    page.locator("#canvas").focus()
    page.keyboard.press("n")
    page.wait_for_url(f"**/images/{scene['second'].pk}/")
    wait_ready(page)

    # Both frames evaluated now; the queue holds this frame for this user, so N stays and says so.
    BoxFactory(image=scene["second"], label=scene["car"], x_min=10, y_min=10, x_max=100, y_max=90)
    page.locator("#canvas").focus()
    page.keyboard.press("n")
    page.get_by_text("This frame is the next one to work on.").wait_for()
    assert page.url.endswith(f"/images/{scene['second'].pk}/")
