"""The project list and the project page, in Chromium against a live Daphne."""

import pytest

from annotations.models import ImageStatus, Label, Membership, Role
from annotations.models import FrameFeedback
from tests.factories import ImageFactory, LabelFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser

STATUSES = [
    ImageStatus.NEW,
    ImageStatus.IN_PROGRESS,
    ImageStatus.SUBMITTED,
    ImageStatus.APPROVED,
    ImageStatus.REJECTED,
    ImageStatus.APPROVED,
]


def _project_with_frames(name, members, statuses=STATUSES):
    project = ProjectFactory(name=name, description=f"Frames of {name}")
    for user, role in members:
        MembershipFactory(project=project, user=user, role=role)
    images = [ImageFactory(project=project, frame_index=i, status=s, width=160, height=120) for i, s in enumerate(statuses)]
    return project, images


def test_project_list_shows_only_the_users_projects_with_their_progress(new_page, live_url, wait_for_js, screenshot):
    anna = UserFactory(username="anna")
    street, _ = _project_with_frames("Street scenes", [(anna, Role.ANNOTATOR)])
    _project_with_frames("Harbour", [(anna, Role.REVIEWER)], statuses=[ImageStatus.NEW] * 3)
    _project_with_frames("Someone else's", [(UserFactory(username="carla"), Role.MANAGER)])

    page = new_page(anna)
    cards = page.locator("[data-testid=project-list] > li")
    wait_for_js(page, "() => document.querySelectorAll('[data-testid=project-list] > li[data-total]').length === 2")
    assert cards.locator("h2").all_inner_texts() == ["Harbour", "Street scenes"]
    street_card = page.locator(f"li[data-project-id='{street.pk}']")
    # 6 frames: submitted 1, approved 2, rejected 1 are done; new and in progress are not.
    assert street_card.get_attribute("data-total") == "6"
    assert street_card.get_attribute("data-done") == "4"
    assert "4 / 6 frames done (67%)" in street_card.inner_text()
    assert street_card.locator(".progress > span").count() == 5
    assert "Someone else" not in page.content()
    assert page.locator(".topnav a").all_inner_texts() == ["Harbour", "Street scenes"]
    screenshot(page, "project_list")
    assert page.js_errors == []


def test_project_grid_shows_status_and_feedback_markers_and_filters_by_status(new_page, live_url, wait_for_js, screenshot):
    anna = UserFactory(username="anna")
    project, images = _project_with_frames("Street scenes", [(anna, Role.ANNOTATOR)])
    FrameFeedback.objects.create(image=images[0], user=anna, rating=1)
    FrameFeedback.objects.create(image=images[3], user=anna, rating=-1)
    FrameFeedback.objects.create(image=images[4], user=UserFactory(username="someone"), rating=1)  # not anna's

    page = new_page(anna)
    page.goto(f"/projects/{project.pk}/")
    tiles = page.locator("[data-testid=frame]")
    wait_for_js(page, "() => document.querySelectorAll('[data-testid=frame] [data-role=feedback]').length === 2")
    assert tiles.count() == 6
    statuses = [tiles.nth(i).get_attribute("data-status") for i in range(6)]
    assert statuses == [s.value for s in STATUSES]
    assert tiles.nth(0).get_attribute("data-feedback") == "positive"
    assert tiles.nth(3).get_attribute("data-feedback") == "negative"
    assert tiles.nth(4).get_attribute("data-feedback") == ""
    assert tiles.nth(2).locator(".badge").inner_text() == "Submitted"
    assert tiles.nth(1).locator("a").get_attribute("href") == f"/images/{images[1].pk}/"
    # Thumbnails load through the permission-checked API.
    wait_for_js(page, "() => [...document.querySelectorAll('[data-testid=frame] img')].every((i) => i.complete && i.naturalWidth > 0)"
    )
    screenshot(page, "project_grid")

    page.locator("[data-testid=filters] button[data-status=approved]").click()
    wait_for_js(page, "() => document.querySelectorAll('[data-testid=frame]').length === 2")
    assert {tiles.nth(i).get_attribute("data-image-id") for i in range(2)} == {str(images[3].pk), str(images[5].pk)}
    assert "status=approved" in page.url
    assert page.locator("[data-testid=filters] button[data-status=approved] .count").inner_text() == "2"

    page.locator("[data-testid=filters] button[data-status=rejected]").click()
    wait_for_js(page, "() => document.querySelectorAll('[data-testid=frame]').length === 1")
    assert tiles.first.get_attribute("data-status") == "rejected"
    page.reload()
    wait_for_js(page, "() => document.querySelectorAll('[data-testid=frame]').length === 1")
    assert page.locator("[data-testid=filters] button[aria-pressed=true]").inner_text().startswith("Rejected")
    assert page.js_errors == []


def test_annotator_sees_no_review_queue_and_no_member_form(new_page, live_url, wait_for_js):
    anna = UserFactory(username="anna")
    project, _ = _project_with_frames("Plain", [(anna, Role.ANNOTATOR)], statuses=[ImageStatus.SUBMITTED])
    LabelFactory(project=project, name="car", color="#ff0000")
    page = new_page(anna)
    page.goto(f"/projects/{project.pk}/")
    page.locator("[data-testid=labels-panel] .label-name").first.wait_for()
    assert page.locator("[data-testid=labels-panel] .label-name").all_inner_texts() == ["car"]
    assert page.locator("[data-testid=review-queue]").count() == 0
    assert page.locator("[data-testid=members-panel]").count() == 0
    assert page.locator("[data-testid=label-form]").count() == 0


def test_manager_adds_a_member_and_a_label_and_names_render_as_text(new_page, live_url, wait_for_js, screenshot):
    max_ = UserFactory(username="max")
    UserFactory(username="newbie")
    project, _ = _project_with_frames("Managed", [(max_, Role.MANAGER)], statuses=[ImageStatus.NEW])
    hostile = "<img src=x onerror=alert(1)>"
    LabelFactory(project=project, name=hostile)
    page = new_page(max_)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"/projects/{project.pk}/")

    labels = page.locator("[data-testid=labels-panel] .label-name-input")  # a manager edits names in place
    labels.first.wait_for()
    assert [labels.nth(i).input_value() for i in range(labels.count())] == [hostile]
    assert page.locator("[data-testid=labels-panel] img").count() == 0

    form = page.locator("[data-testid=member-form]")
    form.locator("input[name=username]").fill("newbie")
    form.locator("select[name=role]").select_option("reviewer")
    form.locator("button[type=submit]").click()
    page.locator("[data-testid=members-panel] li:has-text('newbie')").wait_for()
    assert Membership.objects.get(project=project, user__username="newbie").role == Role.REVIEWER

    form.locator("input[name=username]").fill("nobody-by-that-name")
    form.locator("button[type=submit]").click()
    error = page.locator("[data-testid=member-error]")
    wait_for_js(page, "() => document.querySelector('[data-testid=member-error]').textContent !== ''")
    assert error.inner_text() != ""

    label_form = page.locator("[data-testid=label-form]")
    label_form.locator("input[name=name]").fill("bicycle")
    label_form.locator("input[name=prompt]").fill("bike")
    label_form.locator("button[type=submit]").click()
    wait_for_js(page, "() => [...document.querySelectorAll('[data-testid=labels-panel] .label-name-input')].some((i) => i.value === 'bicycle')")
    label = Label.objects.get(project=project, name="bicycle")
    existing = Label.objects.get(project=project, name=hostile)
    assert label.prompt == "bike" and label.color != existing.color, "a new label takes a palette colour not in use"
    screenshot(page, "project_manager_panels")
    assert dialogs == []
