"""Review without traps: submitted and approved frames open read-only with a banner, reopen, live ratings."""

import pytest

from annotations.models import Box, ImageStatus, Role
from tests.browser.test_annotate_page import frame_png, open_frame
from tests.factories import ImageFactory, LabelFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser


def drag(page, x0, y0, x1, y1):
    box = page.locator("#canvas").bounding_box()
    page.mouse.move(box["x"] + x0, box["y"] + y0)
    page.mouse.down()
    page.mouse.move(box["x"] + (x0 + x1) / 2, box["y"] + (y0 + y1) / 2, steps=3)
    page.mouse.move(box["x"] + x1, box["y"] + y1, steps=3)
    page.mouse.up()


def test_submit_approve_read_only_banner_reopen_and_live_ratings(new_page, wait_for_js, screenshot):
    project = ProjectFactory(name="Review")
    LabelFactory(project=project, name="car")
    frame = ImageFactory(project=project, width=640, height=480, frame_index=0, content=frame_png())
    anna, rita = UserFactory(username="anna"), UserFactory(username="rita")
    MembershipFactory(project=project, user=anna, role=Role.ANNOTATOR)
    MembershipFactory(project=project, user=rita, role=Role.REVIEWER)

    annotator = open_frame(new_page(anna), frame.pk)
    drag(annotator, 100, 100, 220, 200)
    wait_for_js(annotator, "() => document.getElementById('save-status').dataset.unsaved === '0' && window.hitlAnnotate.store.count() === 1")
    annotator.get_by_role("button", name="Submit for review").click()
    banner = annotator.locator("[data-testid=review-banner]")
    banner.get_by_text("Submitted by anna").wait_for()
    assert "read-only" in banner.inner_text()
    assert banner.locator("[data-testid=reopen]").is_hidden(), "an annotator cannot reopen"
    # Drawing on a read-only frame is refused here, with a reason, instead of a misleading conflict.
    drag(annotator, 300, 250, 400, 330)
    annotator.get_by_text("This frame is read-only").first.wait_for()
    assert annotator.evaluate("() => window.hitlAnnotate.store.count()") == 1
    assert annotator.locator("#conflict-dialog[open]").count() == 0

    reviewer = open_frame(new_page(rita), frame.pk)
    reviewer.get_by_role("button", name="Approve").click()
    # The annotator's open page follows live: approved, still read-only.
    banner.get_by_text("Approved by rita").wait_for()
    frame.refresh_from_db()
    assert frame.status == ImageStatus.APPROVED
    screenshot(annotator, "review-approved-banner")

    # Ratings by others appear live.
    reviewer.keyboard.press("a")
    wait_for_js(annotator, "() => document.getElementById('feedback-summary').textContent.startsWith('1 +')")

    # The reviewer reopens with a note; the annotator sees it at the top and may edit again.
    rbanner = reviewer.locator("[data-testid=review-banner]")
    rbanner.get_by_role("button", name="Reopen to edit…").click()
    reviewer.get_by_label("What needs fixing").fill("The car box misses the mirror")
    reviewer.get_by_role("button", name="Reopen with a note for the annotator").click()
    banner.get_by_text("Rejected by rita").wait_for()
    assert "The car box misses the mirror" in banner.inner_text()
    wait_for_js(annotator, "() => document.getElementById('annotate').dataset.readonly === 'false'")
    drag(annotator, 300, 250, 400, 330)
    wait_for_js(annotator, "() => document.getElementById('save-status').dataset.unsaved === '0' && window.hitlAnnotate.store.count() === 2")
    assert Box.objects.filter(image=frame, deleted=False).count() == 2
    screenshot(annotator, "review-rejected-banner")
    assert annotator.js_errors == [] and reviewer.js_errors == []


def test_g_to_a_missing_frame_says_so_once_and_the_header_links_the_dashboard(new_page, live_url):
    project = ProjectFactory(name="Nav")
    frame = ImageFactory(project=project, width=640, height=480, frame_index=0, content=frame_png())
    anna = UserFactory(username="anna")
    MembershipFactory(project=project, user=anna, role=Role.ANNOTATOR)
    page = open_frame(new_page(anna), frame.pk)
    page.keyboard.press("g")
    page.keyboard.type("99")
    page.keyboard.press("Enter")
    page.get_by_text("There is no frame 99 in this project.").wait_for()
    page.keyboard.press("Tab")  # leaving the field must not ask (and complain) a second time
    page.wait_for_timeout(400)
    assert page.get_by_text("There is no frame 99 in this project.").count() == 1
    page.get_by_test_id("dashboard-link").click()
    page.wait_for_url(f"**/projects/{project.pk}/dashboard/")


def test_a_role_change_takes_effect_in_the_members_open_page(new_page, wait_for_js):
    project = ProjectFactory(name="Roles")
    frame = ImageFactory(project=project, width=640, height=480, frame_index=0, content=frame_png(), status=ImageStatus.SUBMITTED)
    lead, bob = UserFactory(username="lead"), UserFactory(username="bob")
    MembershipFactory(project=project, user=lead, role=Role.MANAGER)
    MembershipFactory(project=project, user=bob, role=Role.ANNOTATOR)
    annotator = open_frame(new_page(bob), frame.pk)
    annotator.locator("[data-testid=review-banner]").get_by_text("Submitted").wait_for()
    annotator.get_by_test_id("live-connection").get_by_text("Live").wait_for()
    assert annotator.get_by_role("button", name="Approve").count() == 0

    manager = new_page(lead)
    manager.goto(f"/projects/{project.pk}/")
    manager.get_by_label("Role of bob").select_option("reviewer")
    annotator.get_by_role("button", name="Approve").wait_for()
    assert annotator.locator("[data-testid=reopen]").is_visible()
