"""The project page's Datasets panel, in Chromium against a live Daphne: export, list, download."""

import zipfile

import pytest

from annotations.models import DatasetVersion, ImageStatus, Role
from tests.factories import BoxFactory, ImageFactory, LabelFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.browser


def test_a_manager_exports_a_version_and_downloads_it_annotators_only_see_the_list(new_page, live_url, wait_for_js, tmp_path):
    maria, anna = UserFactory(username="maria"), UserFactory(username="anna")
    project = ProjectFactory(name="Street scenes")
    MembershipFactory(project=project, user=maria, role=Role.MANAGER)
    MembershipFactory(project=project, user=anna, role=Role.ANNOTATOR)
    car = LabelFactory(project=project, name="car")
    approved = ImageFactory(project=project, frame_index=0, status=ImageStatus.APPROVED, width=160, height=120)
    ImageFactory(project=project, frame_index=1, status=ImageStatus.NEW, width=160, height=120)
    BoxFactory(image=approved, label=car, x_min=10, y_min=10, x_max=60, y_max=50)

    page = new_page(maria)
    page.goto(f"/projects/{project.pk}/")
    panel = page.locator("[data-testid=datasets-panel]")
    wait_for_js(page, "() => document.querySelector('[data-testid=datasets-panel] p.muted')?.textContent === 'No dataset exported yet.'")
    panel.locator("select[name=format]").select_option("yolo")
    panel.locator("select[name=only]").select_option("approved")
    panel.locator("button[data-role=export]").click()
    wait_for_js(page, "() => document.querySelectorAll('[data-testid=dataset-version]').length === 1")

    dataset = DatasetVersion.objects.get(project=project)
    assert (dataset.format, dataset.only, dataset.counts["images"], dataset.counts["boxes"]) == ("yolo", "approved", 1, 1)
    assert dataset.git_rev and dataset.dvc_hash and dataset.created_by == maria
    row = panel.locator("[data-testid=dataset-version]")
    assert row.get_attribute("data-dataset-id") == str(dataset.pk)
    assert "1 image, 1 box" in row.inner_text() and "Exported v" in panel.inner_text()
    assert panel.locator("button[data-role=export]").is_enabled()

    with page.expect_download() as info:
        row.locator("a[data-role=download]").click()
    saved = tmp_path / "export.zip"
    info.value.save_as(saved)
    names = set(zipfile.ZipFile(saved).namelist())
    assert "data.yaml" in names and sum(n.startswith("labels/") for n in names) == 1
    assert page.js_errors == []

    # An annotator sees the version but neither the export form nor a download link.
    page = new_page(anna)
    page.goto(f"/projects/{project.pk}/")
    wait_for_js(page, "() => document.querySelectorAll('[data-testid=dataset-version]').length === 1")
    assert page.locator("[data-testid=export-form]").count() == 0
    assert page.locator("[data-testid=datasets-panel] a[data-role=download]").count() == 0
    assert page.js_errors == []
