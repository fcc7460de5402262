"""The AI-audit dashboard in Chromium: charts drawn from the metrics API, updated live."""

import datetime as dt
import random

import pytest

from annotations.broadcast import broadcast, project_group
from annotations.models import ImageStatus, Role
from tests.factories import LabelFactory, MembershipFactory, ProjectFactory, UserFactory
from tests.feedback.rows import Rows

pytestmark = pytest.mark.browser
CHARTS = ("progress", "decisions", "revisions", "effort")
START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def _audited_project(anna, rita):
    """30 frames over 6 days, two model revisions, three labels, every kind of decision."""
    rng = random.Random(5)
    project = ProjectFactory(name="Street scenes")
    MembershipFactory(project=project, user=anna, role=Role.ANNOTATOR)
    MembershipFactory(project=project, user=rita, role=Role.REVIEWER)
    labels = [LabelFactory(project=project, name=n, color=c) for n, c in
              (("person", "#2f5fd0"), ("car", "#c27c0e"), ("bicycle", "#1f8a4c"))]
    rows = Rows(project)
    statuses = [ImageStatus.APPROVED] * 12 + [ImageStatus.REJECTED] * 3 + [ImageStatus.SUBMITTED] * 5 + \
        [ImageStatus.IN_PROGRESS] * 5 + [ImageStatus.NEW] * 5
    frames = rows.frames(len(statuses))
    for i, (frame, status) in enumerate(zip(frames, statuses)):
        frame.status = status
        frame.save(update_fields=["status"])
        day = START + dt.timedelta(days=i // 5)
        if i % 4 != 3 and status != ImageStatus.NEW:  # a quarter of the frames are done by hand
            job = rows.job(frame, [l.name for l in labels], revision="2025-04-14" if i < 12 else "2025-06-21", when=day)
            for label in labels:
                for _ in range(rng.randint(1, 3)):
                    x, y = rng.uniform(0, 500), rng.uniform(0, 350)
                    box = (x, y, x + rng.uniform(40, 120), y + rng.uniform(40, 120))
                    status_ = rng.choice(["accepted", "accepted", "corrected", "rejected"])
                    pred = rows.pred(job, label, box, score=rng.random(), status=status_)
                    if status_ == "accepted":
                        rows.box(frame, label, box, prediction=pred, user=anna)
                    elif status_ == "corrected":
                        rows.box(frame, label, (box[0] + 8, box[1], box[2] + 15, box[3] + 6), prediction=pred, user=anna)
        if status != ImageStatus.NEW:
            label = labels[i % 3]
            rows.box(frame, label, (10 + i, 10, 90 + i, 70), user=anna)
            rows.events(frame, anna, [0, 20, 45, 70 + 5 * (i % 4), 95 + 30 * (i % 4 == 3)], start=day)
            rows.rate(frame, anna, [1, 1, 0, -1][i % 4])
        if status == ImageStatus.APPROVED:
            rows.events(frame, rita, [0], start=day + dt.timedelta(hours=3), action="review")
    return project


def test_dashboard_draws_its_charts_and_updates_live(new_page, live_url, wait_for_js, screenshot, run_off_loop):
    anna, rita = UserFactory(username="anna"), UserFactory(username="rita")
    project = _audited_project(anna, rita)
    page = new_page(anna)
    page.goto(f"/projects/{project.pk}/dashboard/")
    wait_for_js(page, "() => document.getElementById('dashboard').dataset.loaded === '1'")

    for name in CHARTS:
        info = page.evaluate(
            """(name) => {
                const canvas = document.getElementById(`chart-${name}`);
                const chart = window.Chart.getChart(canvas);
                const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                let painted = 0;
                for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
                return {chart: !!chart, points: chart ? chart.data.datasets.reduce((n, d) => n + d.data.length, 0) : 0,
                        painted, width: canvas.width};
            }""",
            name,
        )
        assert info["chart"] and info["points"] > 0, name
        assert info["width"] > 100 and info["painted"] > 500, f"{name} looks blank: {info}"
    assert page.locator("#disagreement-table tbody tr a").count() > 0
    first_link = page.locator("#disagreement-table tbody tr a").first.get_attribute("href")
    assert first_link.startswith("/images/")
    assert page.locator("#dashboard [name=label] option").count() == 4  # all + three labels
    assert page.locator("#dashboard [name=revision] option").count() == 3

    # A filter goes through the API and redraws.
    page.select_option("#dashboard [name=revision]", "2025-06-21")
    wait_for_js(page, "() => document.getElementById('dashboard').dataset.loaded === '2'")
    assert page.evaluate("() => Chart.getChart(document.getElementById('chart-revisions')).data.labels") == ["2025-06-21"]
    page.select_option("#dashboard [name=revision]", "")
    wait_for_js(page, "() => document.getElementById('dashboard').dataset.loaded === '3'")

    # Someone rates a frame elsewhere: the project's websocket event makes the page refetch.
    wait_for_js(page, "() => document.getElementById('dashboard').dataset.live === 'online'")
    before = page.inner_text("#kpi-ratings-sub")
    Rows(project).rate(Rows(project).frames(1, start=100)[0], rita, -1)
    run_off_loop(broadcast, project_group(project.pk), "image.status", {"image": 0, "status": "in_progress"})
    wait_for_js(page, "() => Number(document.getElementById('dashboard').dataset.loaded) >= 4", timeout=15)
    assert page.inner_text("#kpi-ratings-sub") != before
    screenshot(page, "dashboard")
    assert page.js_errors == []


def test_the_next_button_opens_the_frame_to_do(new_page, live_url, wait_for_js):
    anna, rita = UserFactory(username="anna"), UserFactory(username="rita")
    project = _audited_project(anna, rita)
    page = new_page(anna)
    page.goto(f"/projects/{project.pk}/dashboard/")
    wait_for_js(page, "() => document.getElementById('dashboard').dataset.loaded === '1'")
    page.click("#dash-next")
    page.wait_for_url(f"{live_url}/images/**")
    new_frames = project.images.filter(status="new").order_by("frame_index")
    assert page.url.endswith(f"/images/{new_frames[0].pk}/")
