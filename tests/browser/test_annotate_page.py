"""The annotate page in Debian's Chromium against a live Daphne: drawing, editing, autosave,
server-side undo/redo, feedback keys, layers, reload, and user strings shown as text."""

import io
import time

import pytest
from PIL import Image as PILImage, ImageDraw

from annotations.models import FrameFeedback
from tests.browser.canvas import to_page
from tests.factories import ImageFactory, LabelFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser


def frame_png(width=640, height=480, shade=0) -> bytes:
    """A frame with some structure, so screenshots show boxes over a picture; `shade` makes frames distinct."""
    picture = PILImage.new("RGB", (width, height), (58, 74, 92 + shade))
    draw = ImageDraw.Draw(picture)
    for i in range(0, width, 40):
        draw.line([(i, 0), (i, height)], fill=(70, 88, 108))
    for j in range(0, height, 40):
        draw.line([(0, j), (width, j)], fill=(70, 88, 108))
    draw.rectangle([60, 200, 250, 420], fill=(150, 120, 90))
    draw.ellipse([380, 120, 560, 300], fill=(90, 150, 110))
    draw.rectangle([0, 420, width, height], fill=(40, 44, 52))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def scene(live_url):
    """A project with two labels and two 640x480 frames; an annotator member."""
    project = ProjectFactory(name="Street scenes")
    car = LabelFactory(project=project, name="car", color="#ff7f0e")
    person = LabelFactory(project=project, name="person", color="#2ca02c")
    frame = ImageFactory(project=project, width=640, height=480, frame_index=0, content=frame_png())
    second = ImageFactory(project=project, width=640, height=480, frame_index=1, content=frame_png(shade=20))
    annotator = UserFactory(username="annie")
    MembershipFactory(project=project, user=annotator)
    return {"project": project, "car": car, "person": person, "frame": frame, "second": second, "user": annotator}


def open_frame(page, image_id):
    page.goto(f"/images/{image_id}/")
    wait_ready(page)
    return page


def wait_ready(page):
    try:
        page.wait_for_selector('#annotate[data-ready="true"]')
    except Exception as error:
        raise AssertionError(f"the page did not start; its errors: {page.js_errors}") from error


def drag(page, start, end, steps=8):
    page.mouse.move(*to_page(page, *start))
    page.mouse.down()
    page.mouse.move(*to_page(page, *end), steps=steps)
    page.mouse.up()


def wait_saved(page):
    page.wait_for_function("() => window.hitlAnnotate.saves.unsaved() === 0")


def api_boxes(page, image_id):
    response = page.request.get(f"/api/images/{image_id}/boxes/")
    assert response.ok, response.text()
    return response.json()["results"]


def coords(box):
    return tuple(round(box[k]) for k in ("x_min", "y_min", "x_max", "y_max"))


def wait_api_coords(page, image_id, expected, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        boxes = api_boxes(page, image_id)
        got = [coords(b) for b in boxes]
        if got == expected or time.monotonic() > deadline:
            assert got == expected
            return boxes
        time.sleep(0.1)


def test_draw_resize_move_undo_redo_feedback_reload_and_layers(new_page, scene, screenshot):
    """Every edit is saved at once through the API, undo/redo go through the server, and it all survives a reload."""
    frame = scene["frame"]
    page = open_frame(new_page(scene["user"]), frame.pk)
    assert page.locator("#label-picker .label-chip").all_text_contents() == ["1car", "2person"]
    page.wait_for_selector("#undo-button:disabled")  # nothing of this user's to undo yet

    drag(page, (100, 100), (200, 180))
    wait_saved(page)
    assert page.locator("#undo-button").is_enabled() and page.locator("#redo-button").is_disabled()
    [box] = wait_api_coords(page, frame.pk, [(100, 100, 200, 180)])
    assert box["label"] == scene["car"].pk and box["version"] == 1

    drag(page, (200, 180), (260, 220))  # the bottom-right handle of the selected box
    wait_saved(page)
    wait_api_coords(page, frame.pk, [(100, 100, 260, 220)])

    drag(page, (150, 150), (170, 160))  # grab the middle and move
    wait_saved(page)
    wait_api_coords(page, frame.pk, [(120, 110, 280, 230)])

    page.keyboard.press("Control+z")
    wait_api_coords(page, frame.pk, [(100, 100, 260, 220)])
    page.keyboard.press("Control+z")
    wait_api_coords(page, frame.pk, [(100, 100, 200, 180)])
    page.keyboard.press("Control+y")
    wait_api_coords(page, frame.pk, [(100, 100, 260, 220)])
    page.wait_for_function(
        "() => { const b = window.hitlAnnotate.store.list()[0]; return b && b.x_max === 260 && b.y_max === 220; }"
    )

    page.keyboard.press("2")  # relabel the selected box as "person"
    wait_saved(page)
    page.keyboard.press("a")
    page.wait_for_function("() => document.getElementById('feedback-state').textContent === 'Positive'")
    wait_saved(page)
    assert FrameFeedback.objects.get(image=frame, user=scene["user"]).rating == 1
    assert api_boxes(page, frame.pk)[0]["label"] == scene["person"].pk

    page.reload()
    wait_ready(page)
    state = page.evaluate(
        "() => { const a = window.hitlAnnotate; return {boxes: a.store.list().map(b => [b.x_min, b.y_min, b.x_max, b.y_max, b.label]),"
        " rating: document.getElementById('feedback-state').textContent, frameBoxes: document.getElementById('count-frame-boxes').textContent}; }"
    )
    assert state == {"boxes": [[100, 100, 260, 220, scene["person"].pk]], "rating": "Positive", "frameBoxes": "1"}
    assert page.locator("#count-evaluated").text_content() == "1 / 2"

    # Undo history lives on the server: it still works after the reload.
    page.keyboard.press("Control+z")
    wait_api_coords(page, frame.pk, [(100, 100, 260, 220)])
    page.wait_for_function(f"() => window.hitlAnnotate.store.list()[0].label === {scene['car'].pk}")

    edge = to_page(page, 100, 160)  # a point on the box's left edge
    before = pixel(page, edge)
    page.uncheck("#layer-human")
    page.wait_for_function("() => window.hitlAnnotate.renderer.stats.boxes === 0")
    after = pixel(page, edge)
    assert before != after, "the box's outline is gone from the canvas"
    page.reload()
    wait_ready(page)
    assert page.evaluate("() => window.hitlAnnotate.layers.human") is False, "the choice persists for the user"
    page.keyboard.press("h")
    page.wait_for_function("() => window.hitlAnnotate.renderer.stats.boxes === 1")

    # The wheel zooms around the cursor; space+drag pans; boxes stay in image pixels throughout.
    cursor = to_page(page, 300, 200)
    page.mouse.move(*cursor)
    scale = page.evaluate("() => window.hitlAnnotate.view().scale")
    page.mouse.wheel(0, -300)
    page.wait_for_function(f"() => window.hitlAnnotate.view().scale > {scale} * 1.2")
    under = page.evaluate(
        """([x, y]) => { const v = window.hitlAnnotate.view(); const r = document.getElementById('canvas').getBoundingClientRect();
            return [(x - r.left - v.tx) / v.scale, (y - r.top - v.ty) / v.scale]; }""",
        list(cursor),
    )
    assert abs(under[0] - 300) < 0.5 and abs(under[1] - 200) < 0.5
    before_pan = page.evaluate("() => window.hitlAnnotate.view()")
    page.keyboard.down(" ")
    page.mouse.down()
    page.mouse.move(cursor[0] + 80, cursor[1] + 30, steps=4)
    page.mouse.up()
    page.keyboard.up(" ")
    after_pan = page.evaluate("() => window.hitlAnnotate.view()")
    assert round(after_pan["tx"] - before_pan["tx"]) == 80 and round(after_pan["ty"] - before_pan["ty"]) == 30
    assert [coords(b) for b in api_boxes(page, frame.pk)] == [(100, 100, 260, 220)]
    assert page.evaluate("() => window.hitlAnnotate.saves.unsaved()") == 0
    assert page.js_errors == []


def pixel(page, point):
    """The canvas pixel under a page point, as [r, g, b, a]."""
    return page.evaluate(
        """([px, py]) => {
            const c = document.getElementById('canvas');
            const r = c.getBoundingClientRect();
            const k = c.width / r.width;
            return Array.from(c.getContext('2d').getImageData(Math.round((px - r.left) * k), Math.round((py - r.top) * k), 1, 1).data);
        }""",
        list(point),
    )


def test_label_names_are_text_and_a_screenshot_with_boxes(new_page, scene, screenshot):
    """A label named like HTML shows as literal text everywhere and fires no dialog."""
    from tests.factories import BoxFactory

    hostile = LabelFactory(project=scene["project"], name="<img src=x onerror=alert(1)>", color="#d62728")
    frame = scene["frame"]
    BoxFactory(image=frame, label=scene["car"], x_min=60, y_min=200, x_max=250, y_max=420)
    BoxFactory(image=frame, label=scene["person"], x_min=380, y_min=120, x_max=560, y_max=300, source="ai")
    BoxFactory(image=frame, label=hostile, x_min=300, y_min=330, x_max=420, y_max=410)
    dialogs = []
    page = new_page(scene["user"])
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_frame(page, frame.pk)
    page.keyboard.press("3")
    drag(page, (40, 40), (150, 140))
    wait_saved(page)
    page.keyboard.press("a")
    page.wait_for_function("() => window.hitlAnnotate.renderer.stats.labels === 4")

    chip = page.locator(f'#label-picker [data-label-id="{hostile.pk}"] .name')
    assert chip.text_content() == "<img src=x onerror=alert(1)>"
    assert page.locator(f'#layer-labels input[data-label-id="{hostile.pk}"] + .swatch + span').text_content() == hostile.name
    assert page.locator("#annotate img").count() == 0, "no element was made from the label's name"
    assert "onerror" in page.locator("#selection-info").text_content()
    assert api_boxes(page, frame.pk)[-1]["label"] == hostile.pk
    page.wait_for_timeout(300)
    assert dialogs == [] and page.js_errors == []
    path = screenshot(page, "annotate")
    assert path.stat().st_size > 10_000

    # The `?` overlay lists the shortcut table; keys typed into a field are not shortcuts.
    page.keyboard.press("?")
    assert page.locator("#help-dialog").is_visible()
    assert page.locator("#help-list section:not([data-testid=box-legend]) dd").count() == page.evaluate(
        "async () => (await import('/static/frontend/shortcuts.js')).SHORTCUTS.length"
    )
    assert "Undo" in page.locator("#help-list").text_content()
    screenshot(page, "annotate-shortcuts")
    page.keyboard.press("Escape")
    assert page.locator("#help-dialog").is_hidden()
    page.fill("#frame-number", "")
    page.type("#frame-number", "1")  # would be "choose label 1" outside the field
    assert page.locator('#label-picker [aria-checked="true"] .name').text_content() == hostile.name
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/images/{scene['second'].pk}/")
    wait_ready(page)
    page.keyboard.press(",")
    page.wait_for_url(f"**/images/{frame.pk}/")
    wait_ready(page)
    page.keyboard.press(".")
    page.wait_for_url(f"**/images/{scene['second'].pk}/")
    wait_ready(page)
    page.keyboard.press(",")
    page.wait_for_url(f"**/images/{frame.pk}/")
    wait_ready(page)
    page.keyboard.press("p")  # plays at 2 fps to the last frame, then stops
    page.wait_for_url(f"**/images/{scene['second'].pk}/")
    wait_ready(page)
    page.wait_for_function("() => document.getElementById('play').getAttribute('aria-pressed') === 'false'")
    assert dialogs == [] and page.js_errors == []


def test_a_save_that_fails_stays_pending_on_screen_and_is_sent_when_the_server_answers(new_page, scene):
    """Aborted and 500 answers keep the drawn box marked unsaved; it is saved once the server answers."""
    frame = scene["frame"]
    page = open_frame(new_page(scene["user"]), frame.pk)
    failures = {"left": 3}

    def flaky(route):
        if route.request.method == "POST" and failures["left"] > 0:
            failures["left"] -= 1
            return route.abort() if failures["left"] % 2 else route.fulfill(status=500, body="boom")
        return route.continue_()

    page.route("**/api/images/*/boxes/", flaky)
    drag(page, (300, 200), (400, 260))
    page.wait_for_function("() => window.hitlAnnotate.store.list()[0].save === 'retrying'")
    assert page.evaluate("() => window.hitlAnnotate.renderer.stats.unsaved") == 1
    assert page.locator("#save-status").get_attribute("data-unsaved") == "1"
    assert api_boxes(page, frame.pk) == []
    wait_saved(page)
    assert failures["left"] == 0
    [box] = wait_api_coords(page, frame.pk, [(300, 200, 400, 260)])
    assert page.evaluate("() => window.hitlAnnotate.store.list()[0].id") == box["id"]
    page.wait_for_function("() => window.hitlAnnotate.renderer.stats.unsaved === 0")


def test_an_expired_session_keeps_the_change_and_asks_to_log_in_again(new_page, scene):
    """A 403 for lost credentials pauses saving behind a log-in prompt; the change is sent afterwards."""
    frame = scene["frame"]
    page = open_frame(new_page(scene["user"]), frame.pk)
    expired = {"on": True}

    def session(route):
        if expired["on"] and route.request.method == "POST":
            return route.fulfill(status=403, content_type="application/json",
                                 body='{"detail": "Authentication credentials were not provided."}')
        return route.continue_()

    page.route("**/api/images/*/boxes/", session)
    drag(page, (50, 50), (120, 90))
    page.wait_for_selector("#auth-banner:not([hidden])")
    assert "credentials" in page.locator("#auth-detail").text_content()
    assert page.locator("#auth-login").get_attribute("href") == f"/accounts/login/?next=%2Fimages%2F{frame.pk}%2F"
    assert page.evaluate("() => window.hitlAnnotate.store.list()[0].save") == "auth"
    expired["on"] = False
    page.click("#auth-retry")
    wait_saved(page)
    wait_api_coords(page, frame.pk, [(50, 50, 120, 90)])
    assert page.locator("#auth-banner").is_hidden()


def test_a_frame_of_another_project_is_a_404_page(new_page, scene):
    """Two members of one project cannot open a third user's frame: the same 404 as a missing one."""
    other_project = ProjectFactory(name="Private")
    owner = UserFactory(username="owner")
    MembershipFactory(project=other_project, user=owner)
    private = ImageFactory(project=other_project, width=64, height=48)
    colleague = UserFactory(username="colleague")
    MembershipFactory(project=scene["project"], user=colleague)
    for user in (scene["user"], colleague):
        page = new_page(user)
        response = page.goto(f"/images/{private.pk}/")
        assert response.status == 404
        assert page.locator('[data-testid="not-found"]').is_visible()
        assert "Private" not in page.content()
        assert page.request.get(f"/api/images/{private.pk}/").status == 404
        assert page.goto(f"/images/{scene['frame'].pk}/").status == 200
        assert page.goto("/images/999999/").status == 404


def test_a_stale_save_shows_both_versions_and_the_user_keeps_theirs_or_takes_the_other(new_page, scene):
    """409: the dialog shows the other version; keeping mine re-sends against it, taking theirs shows it."""
    from annotations.models import Box
    from tests.factories import BoxFactory

    frame = scene["frame"]
    box = BoxFactory(image=frame, label=scene["car"], x_min=100, y_min=100, x_max=200, y_max=180)
    page = open_frame(new_page(scene["user"]), frame.pk)
    page.mouse.click(*to_page(page, 150, 140))
    Box.objects.filter(pk=box.pk).update(x_min=10, version=2)  # someone else's change, unseen by the page

    page.keyboard.press("ArrowRight")
    page.wait_for_selector("#conflict-dialog[open]")
    assert page.locator("#conflict-mine").text_content() == "car at (101, 100) – (201, 180)"
    assert page.locator("#conflict-theirs").text_content().startswith("car at (10, 100) – (200, 180)")
    page.click("#conflict-keep")
    wait_saved(page)
    [saved] = wait_api_coords(page, frame.pk, [(101, 100, 201, 180)])
    assert saved["version"] == 3

    Box.objects.filter(pk=box.pk).update(x_min=5, version=4)
    page.keyboard.press("Shift+ArrowDown")
    page.wait_for_selector("#conflict-dialog[open]")
    page.click("#conflict-take")
    wait_saved(page)
    page.wait_for_function("() => window.hitlAnnotate.store.list()[0].x_min === 5")
    assert page.evaluate("() => window.hitlAnnotate.store.list()[0].version") == 4
    wait_api_coords(page, frame.pk, [(5, 100, 201, 180)])

    page.keyboard.press("Delete")
    wait_saved(page)
    wait_api_coords(page, frame.pk, [])
    assert Box.objects.get(pk=box.pk).deleted is True
    page.keyboard.press("Control+z")
    wait_api_coords(page, frame.pk, [(5, 100, 201, 180)])
    page.wait_for_function("() => window.hitlAnnotate.store.count() === 1")
    assert [e for e in page.js_errors if "409 (Conflict)" not in e] == []  # Chromium logs each 409 answer
