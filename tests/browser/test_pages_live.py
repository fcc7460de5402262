"""The project page stays live: status changes, the review queue and presence arrive over /ws/projects/{id}/."""

import pytest

from annotations.models import ImageStatus, Role
from annotations.services.presence import presence_join, presence_leave
from annotations.services.review import image_submit
from tests.browser.test_pages_projects import _project_with_frames
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


def test_grid_follows_status_changes_and_presence_live(new_page, live_url, wait_for_js, run_off_loop):
    anna, rita = UserFactory(username="anna"), UserFactory(username="rita")
    project, images = _project_with_frames(
        "Live", [(anna, Role.ANNOTATOR), (rita, Role.REVIEWER)], statuses=[ImageStatus.IN_PROGRESS] * 2
    )
    page = new_page(rita)
    page.goto(f"/projects/{project.pk}/")
    page.wait_for_selector("#project-app[data-live=online]")
    wait_for_js(page, "() => document.querySelectorAll('[data-testid=frame]').length === 2")
    assert page.locator("[data-testid=review-queue]").inner_text().endswith("Nothing waits for review.")

    run_off_loop(image_submit, image=images[1], user=anna)
    tile = page.locator(f"[data-testid=frame][data-image-id='{images[1].pk}']")
    wait_for_js(page, f"() => document.querySelector(\"[data-image-id='{images[1].pk}']\").dataset.status === 'submitted'")
    assert tile.locator(".badge").inner_text() == "Submitted"
    queue = page.locator("[data-testid=review-queue] [data-role=queue] li")
    queue.first.wait_for()
    assert queue.count() == 1
    assert "by anna" in queue.first.inner_text()
    assert queue.first.locator("a").get_attribute("href") == f"/images/{images[1].pk}/"

    viewer = {"project_id": project.pk, "image_id": images[0].pk, "channel_name": "test-channel.anna"}
    run_off_loop(presence_join, user=anna, **viewer)
    try:
        badge = page.locator(f"[data-image-id='{images[0].pk}'] [data-role=viewers] .viewer")
        badge.wait_for()
        assert badge.all_inner_texts() == ["anna"]
    finally:
        run_off_loop(presence_leave, **viewer)
    badge.wait_for(state="detached")
    assert page.js_errors == []
