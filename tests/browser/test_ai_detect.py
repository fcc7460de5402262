"""AI pre-annotation in Chromium: Detect streams AI boxes into the canvas; Enter accepts one."""

import pytest

from annotations.models import Box
from inference.detectors.memory import MemoryDetector
from inference.models import Prediction
from tests.browser.test_annotate_page import frame_png, open_frame
from tests.factories import ImageFactory, LabelFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser
SERVER_ENV = {"INFERENCE_BACKEND": "inference.detectors.memory.SlowMemoryDetector", "INFERENCE_MEMORY_DELAY": "0.3",
              "INFERENCE_EXECUTION": "embedded"}


@pytest.fixture(scope="module")
def daphne_server(django_db_setup, tmp_path_factory):
    """This module's Daphne runs jobs in its own worker process (embedded mode) with the slow in-memory detector."""
    from tests.browser.conftest import daphne_with_env

    server = daphne_with_env(SERVER_ENV, tmp_path_factory, "daphne-ai")
    yield server
    server.stop()


def test_detect_streams_ai_boxes_enter_accepts_and_delete_rejects_the_selected_one(
    new_page, wait_for_js, screenshot, client_for
):
    project = ProjectFactory(name="AI audit")
    LabelFactory(project=project, name="car", color="#ff7f0e")
    LabelFactory(project=project, name="person", color="#2ca02c")
    frame = ImageFactory(project=project, width=640, height=480, frame_index=0, content=frame_png())
    user = UserFactory(username="aiden")
    MembershipFactory(project=project, user=user)
    expected = {p: MemoryDetector.expected(p, 640, 480) for p in ("car", "person")}

    page = open_frame(new_page(user), frame.pk)
    assert page.input_value("#ai-prompts") == "car, person"
    wait_for_js(page, "() => document.getElementById('ai-backend').dataset.backend === 'memory-slow'")
    page.click("#ai-detect")
    # A spinner per prompt while it runs, then the streamed boxes on the canvas.
    page.wait_for_selector("#ai-progress li[data-prompt='car']")
    total = sum(len(boxes) for boxes in expected.values())
    wait_for_js(page, "() => document.querySelectorAll('#ai-progress li[data-state=done]').length === 2", timeout=30)
    wait_for_js(page, f"() => window.hitlAnnotate.renderer.stats.predictions === {total}")
    assert page.text_content("#ai-progress li[data-prompt='person'] .ai-count") == f"{len(expected['person'])} found"
    selected = int(page.get_attribute("#ai-panel .panel-body", "data-selected"))  # the first AI box is selected
    screenshot(page, "ai-detect-streamed")

    page.keyboard.press("Enter")
    wait_for_js(page, "() => window.hitlAnnotate.store.list().some((b) => b.source === 'ai' && b.id)")
    response = client_for(user).get(f"/api/images/{frame.pk}/boxes/").json()
    [box] = response["results"]
    assert box["source"] == "ai" and box["prediction"] == selected
    prediction = Prediction.objects.get(pk=selected)
    assert prediction.status == "accepted"
    assert (box["x_min"], box["y_min"], box["x_max"], box["y_max"]) == (
        prediction.x_min, prediction.y_min, prediction.x_max, prediction.y_max
    )
    assert Box.objects.filter(image=frame).count() == 1
    wait_for_js(page, f"() => window.hitlAnnotate.renderer.stats.predictions === {total - 1}")
    screenshot(page, "ai-detect-accepted")

    # The next AI box is selected; Delete rejects it (and deletes no human box).
    following = int(page.get_attribute("#ai-panel .panel-body", "data-selected"))
    assert following != selected
    page.keyboard.press("Delete")
    wait_for_js(page, f"() => window.hitlAnnotate.renderer.stats.predictions === {total - 2}")
    assert Prediction.objects.get(pk=following).status == "rejected"
    assert Box.objects.filter(image=frame, deleted=False).count() == 1

    # I detects again: the new run's boxes replace the ones still pending instead of stacking on
    # them; the accepted and the rejected one stay as they were.
    first_job = page.get_attribute("#ai-panel .panel-body", "data-job")
    page.keyboard.press("i")
    wait_for_js(page, f"""() => {{ const d = document.querySelector('#ai-panel .panel-body').dataset;
                                  return d.job !== '{first_job}' && d.jobStatus === 'done'; }}""", timeout=30)
    wait_for_js(page, f"() => window.hitlAnnotate.renderer.stats.predictions === {total}")
    statuses = list(Prediction.objects.filter(image=frame).values_list("status", flat=True))
    assert {s: statuses.count(s) for s in set(statuses)} == {
        "accepted": 1, "rejected": 1, "superseded": total - 2, "pending": total
    }
    assert Prediction.objects.get(pk=selected).status == "accepted" and Box.objects.filter(image=frame).count() == 1
    screenshot(page, "ai-detect-again")
    assert page.js_errors == []
