"""Two people on one frame in two browser contexts: boxes, drags, presence and review travel live."""

import pytest

from annotations.models import Box, ImageStatus, Role
from tests.browser.canvas import to_page
from tests.factories import ImageFactory, LabelFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def team(live_url):
    project = ProjectFactory(name="Crossing")
    LabelFactory(project=project, name="person", color="#2ca02c")
    frame = ImageFactory(project=project, width=640, height=480, frame_index=0, color=(96, 118, 140))
    anna, rita = UserFactory(username="anna"), UserFactory(username="rita")
    MembershipFactory(project=project, user=anna, role=Role.ANNOTATOR)
    MembershipFactory(project=project, user=rita, role=Role.REVIEWER)
    return {"project": project, "frame": frame, "anna": anna, "rita": rita}


def open_frame(new_page, user, frame):
    page = new_page(user)
    page.goto(f"/images/{frame.pk}/")
    page.wait_for_selector('#annotate[data-ready="true"]')
    page.wait_for_selector('[data-live="online"]')
    return page


def store_boxes(page):
    return page.evaluate(
        """() => window.hitlAnnotate.store.list().filter((b) => !b.doomed).map((b) => ({
            id: b.id, version: b.version, x_min: b.x_min, y_min: b.y_min, x_max: b.x_max, y_max: b.y_max}))"""
    )


def test_a_box_drawn_by_one_user_appears_for_the_other_with_the_authors_name(new_page, team, wait_for_js, screenshot):
    anna = open_frame(new_page, team["anna"], team["frame"])
    rita = open_frame(new_page, team["rita"], team["frame"])
    wait_for_js(anna, "() => document.querySelector('[data-testid=live-viewers]').textContent === 'Also here: rita'")
    wait_for_js(rita, "() => document.querySelector('[data-testid=live-viewers]').textContent === 'Also here: anna'")

    anna.mouse.move(*to_page(anna, 100, 100))
    anna.mouse.down()
    anna.mouse.move(*to_page(anna, 300, 260), steps=6)
    anna.mouse.up()
    wait_for_js(anna, "() => window.hitlAnnotate.saves.unsaved() === 0")
    box = Box.objects.get(image=team["frame"])

    wait_for_js(rita, "() => window.hitlAnnotate.store.count() === 1")
    seen = store_boxes(rita)[0]
    assert (seen["id"], seen["version"]) == (box.pk, 1)
    assert [round(seen[k]) for k in ("x_min", "y_min", "x_max", "y_max")] == [
        round(getattr(box, k)) for k in ("x_min", "y_min", "x_max", "y_max")
    ]
    activity = rita.locator("[data-testid=live-activity]")
    assert activity.inner_text() == "anna added a person box"
    assert len(store_boxes(anna)) == 1, "the author's own echo must not duplicate the box"
    screenshot(rita, "live_box_from_other_user")

    # Anna drags the box: Rita sees who is moving it before it is saved, then the saved result.
    anna.mouse.move(*to_page(anna, 200, 180))
    anna.mouse.down()
    anna.mouse.move(*to_page(anna, 260, 220), steps=8)
    marker = rita.locator("[data-testid=drag-marker]")
    marker.wait_for()
    assert marker.inner_text() == "anna is moving this box"
    anna.mouse.up()
    wait_for_js(anna, "() => window.hitlAnnotate.saves.unsaved() === 0")
    box.refresh_from_db()
    assert box.version == 2
    wait_for_js(rita, "() => window.hitlAnnotate.store.list()[0].version === 2")
    assert round(store_boxes(rita)[0]["x_min"]) == round(box.x_min)
    marker.wait_for(state="detached")
    assert activity.inner_text() == "anna changed a person box"
    assert anna.js_errors == [] and rita.js_errors == []


def test_submit_reject_with_comment_reaches_the_annotator_live(new_page, team, screenshot):
    anna = open_frame(new_page, team["anna"], team["frame"])
    rita = open_frame(new_page, team["rita"], team["frame"])
    # The buttons appear once the frame's state and the user's role are in; reviewers annotate too.
    rita.locator("[data-testid=review-panel] button", has_text="Submit").wait_for()
    anna.locator("[data-testid=review-panel] button", has_text="Submit").wait_for()

    anna.get_by_role("button", name="Submit for review").click()
    rita.locator("[data-testid=review-status]", has_text="Submitted").wait_for()
    anna.locator("[data-testid=review-status]", has_text="Submitted").wait_for()
    assert anna.locator("[data-testid=review-panel] button").count() == 0

    rita.get_by_role("button", name="Reject…").click()
    comment = "The <b>cyclist</b> on the left is missing"
    rita.locator("[data-testid=reject-form] textarea").fill(comment)
    rita.get_by_role("button", name="Reject with comment").click()

    shown = anna.locator("[data-testid=review-comment]")
    shown.wait_for()
    assert shown.inner_text() == f"rita rejected this frame: {comment}"
    assert anna.locator("[data-testid=review-comment] b").count() == 0
    assert anna.locator("[data-testid=review-status]").inner_text() == "Rejected"
    team["frame"].refresh_from_db()
    assert (team["frame"].status, team["frame"].review_comment) == (ImageStatus.REJECTED, comment)
    screenshot(anna, "live_rejected_comment")

    # The comment survives a reload (it comes with the socket's state).
    anna.reload()
    anna.wait_for_selector('#annotate[data-ready="true"]')
    anna.locator("[data-testid=review-comment]").wait_for()
    assert anna.get_by_role("button", name="Submit for review").count() == 1
    assert anna.js_errors == [] and rita.js_errors == []
