"""A team lead starts a project in the browser: new project with labels, members and their roles."""

import pytest

from annotations.models import Label, Membership, Project, Role
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser


def test_new_project_with_three_labels_makes_the_creator_its_manager(new_page, wait_for_js, screenshot):
    lead = UserFactory(username="lead")
    page = new_page(lead)
    page.get_by_text("No projects yet: start one with “New project”.").wait_for()
    page.get_by_role("button", name="New project").click()
    page.fill("#np-name", "Harbour birds")
    page.fill("#np-description", "Gulls and terns on the north pier")
    page.fill("#np-labels", "gull, tern\nheron, Gull")
    chips = page.locator("[data-testid=np-label-chips] li")
    assert [chips.nth(i).get_attribute("data-label") for i in range(chips.count())] == ["gull", "tern", "heron"]
    colours = [chips.nth(i).locator("input").input_value() for i in range(3)]
    assert len(set(colours)) == 3, "each label gets its own colour"
    chips.nth(2).locator("input").fill("#123456")  # the user changes one
    screenshot(page, "new_project_form")
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url("**/projects/*/")
    project = Project.objects.get(name="Harbour birds")
    assert Membership.objects.get(project=project, user=lead).role == Role.MANAGER
    assert list(Label.objects.filter(project=project).order_by("id").values_list("name", "color")) == [
        ("gull", colours[0]), ("tern", colours[1]), ("heron", "#123456")
    ]  # fmt: skip
    page.locator("[data-testid=labels-panel] li[data-label-id]").nth(2).wait_for()
    assert page.js_errors == []


def test_a_refused_project_name_is_explained_and_nothing_is_made(new_page):
    lead = UserFactory(username="lead")
    MembershipFactory(project=ProjectFactory(name="Taken"), user=lead, role=Role.MANAGER)
    page = new_page(lead)
    page.get_by_role("button", name="New project").click()
    page.fill("#np-name", "taken")
    page.get_by_role("button", name="Create project").click()
    alert = page.locator("[data-testid=new-project-form] [role=alert]")
    alert.get_by_text("already exists").wait_for()
    assert Project.objects.count() == 1


def test_a_manager_changes_a_role_and_removes_a_member_and_the_panel_lays_out(new_page, wait_for_js, screenshot):
    lead = UserFactory(username="lead")
    project = ProjectFactory(name="Harbour birds")
    MembershipFactory(project=project, user=lead, role=Role.MANAGER)
    ann = UserFactory(username="annotator-with-a-rather-long-username")
    bob = UserFactory(username="bob")
    MembershipFactory(project=project, user=ann, role=Role.ANNOTATOR)
    MembershipFactory(project=project, user=bob, role=Role.ANNOTATOR)

    page = new_page(lead, viewport=(1280, 900))
    page.goto(f"/projects/{project.pk}/")
    panel = page.locator("[data-testid=members-panel]")
    row = panel.locator(f"li[data-user-id='{ann.pk}']")
    row.wait_for()
    assert panel.locator(f"li[data-user-id='{lead.pk}'] select").count() == 0, "no changing one's own role here"
    row.get_by_label(f"Role of {ann.username}").select_option("reviewer")
    wait_for_js(page, f"() => document.querySelector(\"li[data-user-id='{ann.pk}']\").dataset.role === 'reviewer'")
    assert Membership.objects.get(project=project, user=ann).role == Role.REVIEWER
    panel.get_by_role("button", name="Remove bob").click()
    wait_for_js(page, f"() => !document.querySelector(\"li[data-user-id='{bob.pk}']\")")
    assert not Membership.objects.filter(project=project, user=bob).exists()

    # Layout at 1280 and 1920 px: every row fits the panel (no horizontal overflow), the panel the page.
    for width in (1280, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        overflow = page.evaluate(
            """() => {
                const panel = document.querySelector('[data-testid=members-panel]');
                const box = panel.getBoundingClientRect();
                const rows = [...panel.querySelectorAll('li, form > *')].map((el) => el.getBoundingClientRect());
                return { outside: rows.filter((r) => r.right > box.right + 0.5 || r.left < box.left - 0.5).length,
                         scroll: panel.scrollWidth - panel.clientWidth, pageRight: box.right, width: window.innerWidth };
            }"""
        )
        assert overflow["outside"] == 0 and overflow["scroll"] <= 0 and overflow["pageRight"] <= overflow["width"], width
        screenshot(page, f"members_panel_{width}")
    assert page.js_errors == []


def test_a_manager_renames_recolours_reorders_and_deletes_labels_moving_their_boxes(new_page, wait_for_js, screenshot):
    from annotations.models import Box
    from tests.factories import BoxFactory, ImageFactory, LabelFactory

    lead = UserFactory(username="lead")
    project = ProjectFactory(name="Street")
    MembershipFactory(project=project, user=lead, role=Role.MANAGER)
    auto, car, bike = (LabelFactory(project=project, name=n) for n in ("auto", "car", "bike"))
    frame = ImageFactory(project=project, width=160, height=120)
    box = BoxFactory(image=frame, label=auto)

    page = new_page(lead)
    page.goto(f"/projects/{project.pk}/")
    panel = page.locator("[data-testid=labels-panel]")
    row = panel.locator(f"li[data-label-id='{bike.pk}']")
    row.wait_for()
    row.get_by_label("Name of bike").fill("bicycle")
    row.get_by_label("Name of bike").press("Enter")
    saved = "() => document.querySelectorAll(\"[data-testid=labels-panel] input[data-saved=true]\").length"
    wait_for_js(page, f"{saved} === 1")
    row.get_by_label("Colour of bike").fill("#00aa55")
    wait_for_js(page, f"{saved} === 2")
    row.get_by_label("Prompt of bike").fill("bike")
    row.get_by_label("Prompt of bike").press("Tab")
    wait_for_js(page, f"{saved} === 3")
    bike.refresh_from_db()
    assert (bike.name, bike.color, bike.prompt) == ("bicycle", "#00aa55", "bike")

    row.get_by_role("button", name="Move bike up").click()
    wait_for_js(page, f"() => document.querySelectorAll('[data-testid=labels-panel] li[data-label-id]')[1].dataset.labelId === '{bike.pk}'")

    panel.locator(f"li[data-label-id='{auto.pk}']").get_by_role("button", name="Delete auto").click()
    move = panel.locator("[data-testid=label-move]")
    move.get_by_text("1 box use “auto”").wait_for()
    move.get_by_label("Move the boxes of auto to").select_option(str(car.pk))
    screenshot(page, "labels_move_boxes")
    move.get_by_role("button", name="Move boxes and delete").click()
    wait_for_js(page, f"() => !document.querySelector(\"li[data-label-id='{auto.pk}']\")")
    assert Box.objects.get(pk=box.pk).label_id == car.pk
    names = panel.locator("li[data-label-id] .label-name-input")
    assert [names.nth(i).input_value() for i in range(names.count())] == ["bicycle", "car"]
    # The refused DELETE (409 with the count) is how the panel learns that boxes use the label.
    assert [e for e in page.js_errors if "409 (Conflict)" not in e] == []
