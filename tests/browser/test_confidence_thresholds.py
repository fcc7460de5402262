"""Confidence thresholds in use on the annotate page, in Chromium: the project's configuration is shown,
a pending AI box below its label's learnt threshold is hidden ("1 low-confidence box hidden — show")
and not drawn until shown; the other is offered as usual."""

import datetime as dt

import pytest
from django.utils import timezone

from annotations.models import AnnotationEvent
from inference.models import DetectionJob, DetectorConfig, Prediction
from tests.browser.test_annotate_page import frame_png, open_frame
from tests.factories import ImageFactory, LabelFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser


def test_the_annotate_page_shows_the_configuration_and_hides_boxes_below_the_thresholds(
    new_page, wait_for_js, screenshot
):
    project = ProjectFactory(name="Thresholds")
    person = LabelFactory(project=project, name="person", color="#2ca02c", prompt="pedestrian")
    frame = ImageFactory(project=project, width=640, height=480, frame_index=0, content=frame_png())
    user = UserFactory(username="tess")
    MembershipFactory(project=project, user=user)
    DetectorConfig.objects.create(project=project, backend="moondream", model="vikhyatk/moondream2",
                                  revision="2025-06-21", prompts={"person": "pedestrian"},
                                  thresholds_enabled=True, thresholds={"person": 0.7}, source="test")
    job = DetectionJob.objects.create(image=frame, prompts=["pedestrian"], status="done", backend="moondream")
    for rank, (score, box) in enumerate([(0.9, (50, 50, 200, 300)), (0.3, (300, 60, 420, 300))]):
        Prediction.objects.create(job=job, image=frame, label=person, prompt="pedestrian", rank=rank, score=score,
                                  x_min=box[0], y_min=box[1], x_max=box[2], y_max=box[3])

    page = open_frame(new_page(user), frame.pk)
    wait_for_js(page, "() => document.getElementById('ai-config').textContent.includes('thresholds')")
    assert page.text_content("#ai-config") == (
        "Project configuration: moondream · vikhyatk/moondream2@2025-06-21 · prompts person=pedestrian"
        " · thresholds person ≥ 0.70")
    wait_for_js(page, "() => window.hitlAnnotate.renderer.stats.predictions === 1")
    assert page.is_visible("#ai-hidden") and "1 low-confidence box hidden" in page.text_content("#ai-hidden")
    assert page.get_attribute("#ai-summary", "data-pending") == "1"
    screenshot(page, "confidence-thresholds-hidden")
    page.click("#ai-show-low")
    wait_for_js(page, "() => window.hitlAnnotate.renderer.stats.predictions === 2")
    assert page.get_attribute("#ai-summary", "data-pending") == "2"


def test_the_dashboard_shows_seconds_per_ai_assisted_frame_in_the_thresholds_panel(new_page, wait_for_js):
    """The effect measure carries the time people spent per AI-assisted frame, not only box counts."""
    project = ProjectFactory(name="Effort")
    frame = ImageFactory(project=project, width=640, height=480, frame_index=0, content=frame_png())
    lead = UserFactory(username="lena")
    MembershipFactory(project=project, user=lead, role="manager")
    start = timezone.now() - dt.timedelta(hours=2)
    DetectionJob.objects.create(image=frame, prompts=["person"], status="done", backend="opencv")
    for seconds in (0, 10, 30):  # 30 active seconds on the AI-assisted frame
        event = AnnotationEvent.objects.create(image=frame, user=lead, action="create")
        AnnotationEvent.objects.filter(pk=event.pk).update(created_at=start + dt.timedelta(seconds=seconds))

    page = new_page(lead)
    page.goto(f"/projects/{project.pk}/dashboard/")
    row = page.locator("#thresholds-table tr", has_text="seconds per AI-assisted frame")
    row.wait_for()
    assert row.locator("[data-side=before]").text_content() == "30.00"
    assert row.locator("[data-side=after]").text_content() == "–"  # thresholds never turned on
