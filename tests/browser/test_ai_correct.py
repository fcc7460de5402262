"""Correct, then accept: dragging a pending AI box accepts it as corrected; a prompt with no label opens a picker."""

import pytest

from annotations.models import Box, Label, Role
from inference.models import Prediction
from tests.browser.test_ai_detect import daphne_server  # noqa: F401 (this module's server: jobs run in-process)
from tests.browser.test_annotate_page import frame_png, open_frame
from tests.factories import ImageFactory, LabelFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser


def screen_center(page, prediction_id):
    """Where a prediction's centre is on screen, from the page's own view transform."""
    return page.evaluate(
        """(id) => {
            const app = window.hitlAnnotate, p = app.store.prediction(id), v = app.view();
            const r = app.canvas.getBoundingClientRect();
            return [r.left + ((p.x_min + p.x_max) / 2) * v.scale + v.tx, r.top + ((p.y_min + p.y_max) / 2) * v.scale + v.ty, v.scale];
        }""",
        prediction_id,
    )


def test_drag_a_pending_ai_box_to_correct_it_then_accept_a_prompt_without_label_through_the_picker(
    new_page, wait_for_js, screenshot
):
    project = ProjectFactory(name="Faces")
    LabelFactory(project=project, name="car", color="#ff7f0e")
    frame = ImageFactory(project=project, width=640, height=480, frame_index=0, content=frame_png())
    mia = UserFactory(username="mia")
    MembershipFactory(project=project, user=mia, role=Role.MANAGER)

    page = open_frame(new_page(mia), frame.pk)
    page.fill("#ai-prompts", "car, eye")
    page.click("#ai-detect")
    wait_for_js(page, "() => document.querySelectorAll('#ai-progress li[data-state=done]').length === 2", timeout=30)
    total = Prediction.objects.filter(image=frame).count()
    wait_for_js(page, f"() => window.hitlAnnotate.renderer.stats.predictions === {total}")

    # Drag the first car box 40 screen px right and 20 down: accepted as corrected, in one request.
    car = Prediction.objects.filter(image=frame, prompt="car").order_by("id").first()
    x, y, scale = screen_center(page, car.pk)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 20, y + 10, steps=4)
    page.mouse.move(x + 40, y + 20, steps=4)
    page.mouse.up()
    wait_for_js(page, "() => window.hitlAnnotate.store.list().some((b) => b.source === 'ai' && b.id)")
    car.refresh_from_db()
    assert car.status == "corrected"
    box = Box.objects.get(prediction=car)
    assert box.x_min == pytest.approx(car.x_min + 40 / scale, abs=0.6)
    assert box.y_max == pytest.approx(car.y_max + 20 / scale, abs=0.6)
    assert (box.x_max - box.x_min) == pytest.approx(car.x_max - car.x_min, abs=0.02), "moved, not resized"
    wait_for_js(page, "() => window.hitlAnnotate.renderer.stats.aiMarks.corrected === 1")

    # One undo takes the whole correction back (pending again, no box); redo brings it back.
    page.keyboard.press("Control+z")
    wait_for_js(page, "() => window.hitlAnnotate.renderer.stats.aiMarks.corrected === 0")
    car.refresh_from_db()
    assert car.status == "pending" and not Box.objects.filter(image=frame, deleted=False).exists()
    page.keyboard.press("Control+y")
    wait_for_js(page, "() => window.hitlAnnotate.renderer.stats.aiMarks.corrected === 1")
    car.refresh_from_db()
    assert car.status == "corrected"

    # Click an eye box (the smallest pending box under the pointer is picked) and press Enter:
    # no label has the prompt "eye" → the picker, with "Create label" for a manager.
    eye_boxes = sorted(Prediction.objects.filter(image=frame, prompt="eye"), key=lambda p: (p.x_max - p.x_min) * (p.y_max - p.y_min))
    ex, ey, _ = screen_center(page, eye_boxes[0].pk)
    page.mouse.click(ex, ey)
    selected = int(page.get_attribute("#ai-panel .panel-body", "data-selected"))
    assert selected == eye_boxes[0].pk
    page.keyboard.press("Enter")
    picker = page.locator("#ai-label-picker")
    picker.wait_for()
    assert picker.locator("h2").inner_text() == 'No label for "eye"'
    assert picker.locator("button[data-label-id]").all_inner_texts() == ["car"]
    screenshot(page, "ai-label-picker")
    picker.get_by_role("button", name='Create label "eye"').click()
    wait_for_js(page, "() => window.hitlAnnotate.renderer.stats.aiMarks.accepted === 1")
    eye_label = Label.objects.get(project=project, name="eye")
    eye = Prediction.objects.get(pk=selected)
    assert eye.status == "accepted" and Box.objects.get(prediction=eye).label == eye_label
    assert page.locator("#label-picker [data-label-id]").count() == 2, "the new label is offered for drawing too"

    # The ? overlay explains the three looks (then those of tracks).
    page.keyboard.press("?")
    legend = page.locator("[data-testid=box-legend] dd").all_inner_texts()
    assert "corrected" in legend[2] and legend[3] == "box drawn by a person"
    assert [("track 3" in legend[4]), ("interpolation" in legend[5]), ("tracker" in legend[6])] == [True, True, True]
    screenshot(page, "ai-legend")
    page.keyboard.press("Escape")
    assert page.js_errors == []

    # The AI-audit dashboard, opened from the header, counts the correction.
    page.get_by_test_id("dashboard-link").click()
    page.wait_for_url(f"**/projects/{project.pk}/dashboard/")
    page.get_by_text("mean IoU of 1 corrected box with the model's").wait_for()
    screenshot(page, "dashboard-correction")
