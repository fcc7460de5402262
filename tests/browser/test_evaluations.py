"""The dashboard's "Model evaluations" in Chromium: a manager starts two evaluations, watches them
progress live, compares them (best per column marked, AP50 per label charted) and promotes one."""

import threading

import pytest
from django.db import connections

from annotations.models import ImageStatus, Role
from feedback.evaluation.runner import evaluations_drive
from inference.detectors import get_detector
from inference.models import DetectorConfig
from inference.status import worker_status_publish
from tests.factories import BoxFactory, ImageFactory, LabelFactory, MembershipFactory, ProjectFactory, UserFactory
from tests.feedback.evaluation_helpers import KNOWN_BACKEND, KnownBoxesDetector, run_queued_jobs

pytestmark = pytest.mark.browser


class StandInWorker:
    """The inference worker, in this process: publishes its (known-boxes) detector, drives queued
    evaluations (its periodic chore) and runs queued jobs."""

    def __init__(self):
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        try:
            while not self.stop.wait(0.1):
                worker_status_publish()
                evaluations_drive()  # its periodic work: drive the evaluations started from the page
                run_queued_jobs()
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)


@pytest.fixture
def project_with_truth(settings):
    settings.INFERENCE_BACKEND = KNOWN_BACKEND
    get_detector.cache_clear()
    mia = UserFactory(username="mia")
    project = ProjectFactory(name="Crossing")
    MembershipFactory(project=project, user=mia, role=Role.MANAGER)
    person = LabelFactory(project=project, name="person", color="#2f5fd0")
    answers = {}
    for index in range(3):
        size = (200 + 10 * index, 120)
        frame = ImageFactory(project=project, width=size[0], height=size[1], frame_index=index,
                             status=ImageStatus.APPROVED)
        BoxFactory(image=frame, label=person, x_min=10, y_min=10, x_max=60, y_max=100)
        answers[size] = {"person": [(12, 10, 60, 98, 0.9)], "human": [(100, 10, 150, 100, 0.9)]}
    KnownBoxesDetector.answers = answers
    yield project, mia
    get_detector.cache_clear()


def test_start_watch_compare_and_promote_evaluations(new_page, live_url, wait_for_js, screenshot, project_with_truth):
    project, mia = project_with_truth
    with StandInWorker():
        page = new_page(mia)
        page.goto(f"/projects/{project.pk}/dashboard/")
        wait_for_js(page, "() => document.getElementById('evaluations').dataset.loaded === '1'")
        assert page.is_visible("#eval-form")
        page.click("#eval-form button[type=submit]")  # the labels' own prompts
        wait_for_js(page, "() => document.querySelector('#eval-table tr[data-status=done]')", timeout=60)
        page.fill("#eval-prompts input[data-label=person]", "human")
        page.click("#eval-form button[type=submit]")
        wait_for_js(page, "() => document.querySelectorAll('#eval-table tr[data-status=done]').length === 2",
                    timeout=60)

    rows = page.locator("#eval-table tbody tr")
    assert rows.count() == 2
    newest, oldest = rows.nth(0), rows.nth(1)
    assert "person=human" in newest.inner_text()
    assert oldest.locator("td.best").count() >= 3 and newest.locator("td.best").count() <= 1  # s/frame may tie
    chart = page.evaluate("() => Chart.getChart(document.getElementById('chart-evaluations')).data")
    assert chart["labels"] == ["person"] and len(chart["datasets"]) == 2

    oldest.locator("button[data-promote]").click()
    wait_for_js(page, "() => document.getElementById('eval-active').textContent.includes('evaluation')")
    config = DetectorConfig.objects.get(project=project)
    assert config.source.startswith("evaluation") and config.prompts == {"person": "person"}
    screenshot(page, "dashboard-evaluations")
    assert page.js_errors == []
