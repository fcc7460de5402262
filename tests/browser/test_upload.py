"""Adding frames on the project page as a manager does: pick or drop files, watch the bars, cancel, retry."""

import io
import os
import random
import time

import pytest
from PIL import Image as PILImage

from annotations.models import Image, Role
from tests.annotations.upload_helpers import zip_bytes
from tests.factories import MembershipFactory, ProjectFactory, UserFactory, png_bytes

pytestmark = pytest.mark.browser


def partial_uploads(settings) -> list[str]:
    """Partial chunked uploads the live server holds (none once each is completed or cancelled)."""
    root = settings.UPLOAD_PARTIAL_DIR
    return sorted(os.listdir(root)) if root.exists() else []


def noise_png(seed: int, size=(64, 48)) -> bytes:
    """Noise does not compress, so the upload has enough bytes for the bar to move under throttling."""
    buffer = io.BytesIO()
    PILImage.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3)).save(buffer, format="PNG")
    return buffer.getvalue()


def throttle_upload(page, bytes_per_second: int):
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": bytes_per_second},
    )
    return cdp


@pytest.fixture
def manager_on_empty_project(new_page):
    anna = UserFactory(username="anna")
    project = ProjectFactory(name="Harbour cam")
    MembershipFactory(project=project, user=anna, role=Role.MANAGER)

    def open_page():
        page = new_page(anna)
        page.goto(f"/projects/{project.pk}/")
        return page

    return project, open_page


def test_a_zip_of_frames_out_of_order_with_a_text_file_arrives_in_natural_order_with_names(
    manager_on_empty_project, wait_for_js, screenshot, tmp_path
):
    project, open_page = manager_on_empty_project
    page = open_page()
    page.get_by_text("No frames yet: add the first ones below").wait_for()
    assert page.locator("[data-testid=upload-panel].upload-empty").count() == 1

    order = list(range(1, 13))
    random.Random(4).shuffle(order)
    entries = {f"frame{i}.png": noise_png(i) for i in order}
    entries["readme.txt"] = b"camera 3, north pier"
    archive = tmp_path / "harbour.zip"
    archive.write_bytes(zip_bytes(entries))
    notes = tmp_path / "notes.md"
    notes.write_text("not a frame")

    throttle_upload(page, 60_000)  # ~150 kB at 60 kB/s: the bar is seen between 0 and 100
    page.set_input_files("[data-testid=upload-files]", [str(archive), str(notes)])
    assert page.locator("[data-testid=ignored-file]").inner_text() == "Left out notes.md: not an image or a zip"
    seen = wait_for_js(
        page,
        "() => { const v = Number(document.querySelector('[data-testid=upload-overall]').getAttribute('aria-valuenow'));"
        " return v > 0 && v < 100 ? v : 0; }",
    )
    assert 0 < seen < 100
    screenshot(page, "upload_in_progress")
    item = page.locator("[data-testid=upload-item]")
    wait_for_js(page, "() => document.querySelector('[data-testid=upload-item]').dataset.status === 'stored'", timeout=30)
    assert item.locator(".upload-status").inner_text() == "12 frames stored, 1 skipped"
    assert page.locator("[data-testid=skipped-entry]").inner_text().startswith("readme.txt: not an image")
    assert page.locator("[data-testid=upload-overall]").get_attribute("aria-valuenow") == "100"
    assert page.locator("[data-testid=upload-summary]").inner_text().endswith("12 frames stored · 1 skipped")

    wait_for_js(page, "() => document.querySelectorAll('[data-testid=frame]').length === 12")
    names = page.locator("[data-testid=frame] [data-role=name]").all_inner_texts()
    assert names == [f"frame{i}.png" for i in range(1, 13)]
    assert list(Image.objects.filter(project=project).order_by("frame_index").values_list("original_name", flat=True)) == names
    assert page.locator("[data-role=status]").inner_text() == "12 frames"
    screenshot(page, "upload_done")
    assert page.js_errors == []


def test_dropped_files_go_up_in_chunks_a_bad_one_fails_alone_and_duplicates_are_reported(
    manager_on_empty_project, wait_for_js, live_url
):
    project, open_page = manager_on_empty_project
    page = open_page()
    page.locator("[data-testid=drop-zone]").wait_for()
    requests = []
    page.on("request", lambda r: r.method == "POST" and "/images/" in r.url and requests.append(r.url))
    same = png_bytes(color=(9, 9, 9))
    files = [("f10.png", png_bytes(color=(10, 0, 0))), ("f2.png", same), ("copy-of-f2.png", same), ("f3.png", b"\x89PNG broken")]
    # A drop as the browser makes it: a DataTransfer holding File objects.
    page.evaluate(
        """(files) => {
            const dt = new DataTransfer();
            for (const [name, bytes] of files) dt.items.add(new File([new Uint8Array(bytes)], name, { type: "image/png" }));
            const zone = document.querySelector('[data-testid=drop-zone]');
            zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        }""",
        [[name, list(data)] for name, data in files],
    )
    wait_for_js(page, "() => document.querySelector('[data-testid=upload-panel]').dataset.state === 'idle' && document.querySelectorAll('[data-testid=upload-item][data-status=queued], [data-testid=upload-item][data-status=sending]').length === 0")
    statuses = {
        li.get_attribute("data-name"): li.get_attribute("data-status") for li in page.locator("[data-testid=upload-item]").all()
    }
    assert statuses == {"copy-of-f2.png": "stored", "f2.png": "duplicate", "f3.png": "failed", "f10.png": "stored"}
    failed = page.locator("[data-testid=upload-item][data-status=failed]")
    assert "f3.png" in failed.locator(".upload-status").inner_text()
    # One request for the batch, refused because of f3.png; then each file alone.
    assert len(requests) == 1 + 4
    assert sorted(Image.objects.filter(project=project).values_list("original_name", flat=True)) == ["copy-of-f2.png", "f10.png"]

    # Retry sends that file alone again (still broken: still failed, nothing else re-sent).
    requests.clear()
    failed.get_by_role("button", name="Retry").click()
    wait_for_js(page, "() => document.querySelector('[data-testid=upload-panel]').dataset.state === 'idle'")
    assert len(requests) == 1
    assert page.locator("[data-testid=upload-item][data-status=failed]").count() == 1


def test_cancel_stops_the_upload_and_keeps_nothing_half_sent(manager_on_empty_project, wait_for_js, tmp_path):
    project, open_page = manager_on_empty_project
    page = open_page()
    page.locator("[data-testid=drop-zone]").wait_for()
    archive = tmp_path / "big.zip"
    archive.write_bytes(zip_bytes({f"f{i}.png": noise_png(i, (128, 96)) for i in range(10)}))
    throttle_upload(page, 30_000)  # ~370 kB: more than ten seconds
    page.set_input_files("[data-testid=upload-files]", str(archive))
    wait_for_js(page, "() => Number(document.querySelector('[data-testid=upload-overall]').getAttribute('aria-valuenow')) > 0")
    page.get_by_role("button", name="Cancel upload").click()
    wait_for_js(page, "() => document.querySelector('[data-testid=upload-item]').dataset.status === 'cancelled'")
    assert page.locator("[data-testid=upload-cancel]").is_hidden()
    assert Image.objects.filter(project=project).count() == 0
    assert os.path.exists(archive)


def test_images_with_their_coco_file_arrive_with_their_boxes(manager_on_empty_project, wait_for_js, tmp_path):
    import json

    from annotations.models import Box

    project, open_page = manager_on_empty_project
    page = open_page()
    page.locator("[data-testid=drop-zone]").wait_for()
    (tmp_path / "f1.png").write_bytes(png_bytes(64, 48, (1, 0, 0)))
    (tmp_path / "f2.png").write_bytes(png_bytes(64, 48, (2, 0, 0)))
    coco = {
        "images": [{"id": 1, "file_name": "f1.png"}, {"id": 2, "file_name": "f2.png"}],
        "categories": [{"id": 1, "name": "gull"}],
        "annotations": [{"id": 1, "image_id": 2, "category_id": 1, "bbox": [4, 4, 20, 20]}],
    }
    (tmp_path / "instances.json").write_text(json.dumps(coco))
    page.set_input_files("[data-testid=upload-files]", [str(tmp_path / n) for n in ("instances.json", "f2.png", "f1.png")])
    coco_item = page.locator("[data-testid=upload-item][data-name='instances.json']")
    wait_for_js(page, "() => document.querySelector(\"[data-testid=upload-item][data-name='instances.json']\").dataset.status === 'stored'")
    assert coco_item.locator(".upload-status").inner_text() == "COCO: 1 box added, 1 label"
    assert Box.objects.get(image__project=project).image.original_name == "f2.png"


def test_a_large_zip_goes_up_in_chunks_and_a_cancelled_one_leaves_no_partial_file(
    manager_on_empty_project, wait_for_js, tmp_path, settings
):
    project, open_page = manager_on_empty_project
    page = open_page()
    page.locator("[data-testid=drop-zone]").wait_for()
    # Force chunking on a small file: over 10 kB goes in chunks of 16 kB.
    page.evaluate("() => Object.assign(document.querySelector('[data-testid=upload-panel]').dataset, {chunkOver: '10000', chunkBytes: '16000'})")
    chunks, posts = [], []
    page.on("request", lambda r: "/chunks/" in r.url and chunks.append((r.method, r.url.rsplit("=", 1)[1])))
    page.on("request", lambda r: r.method == "POST" and "/images/" in r.url and posts.append(r.url))
    archive = tmp_path / "harbour.zip"
    archive.write_bytes(zip_bytes({f"frame{i}.png": noise_png(i) for i in (3, 10, 1, 2)}))
    page.set_input_files("[data-testid=upload-files]", str(archive))
    wait_for_js(page, "() => document.querySelector('[data-testid=upload-item]').dataset.status === 'stored'", timeout=30)
    size = archive.stat().st_size
    assert chunks == [("PUT", str(offset)) for offset in range(0, size, 16000)] and len(chunks) > 1
    assert posts == []  # not the one-request path
    assert page.locator("[data-testid=upload-item] .upload-status").inner_text() == "4 frames stored"
    names = list(Image.objects.filter(project=project).order_by("frame_index").values_list("original_name", flat=True))
    assert names == ["frame1.png", "frame2.png", "frame3.png", "frame10.png"]
    assert partial_uploads(settings) == []

    # Cancelled part-way: the partial upload is deleted on the server, nothing is stored.
    bigger = tmp_path / "more.zip"
    bigger.write_bytes(zip_bytes({f"g{i}.png": noise_png(100 + i, (128, 96)) for i in range(6)}))
    throttle_upload(page, 30_000)
    page.set_input_files("[data-testid=upload-files]", str(bigger))
    wait_for_js(page, "() => Number(document.querySelector('[data-testid=upload-overall]').getAttribute('aria-valuenow')) > 0")
    page.get_by_role("button", name="Cancel upload").click()
    wait_for_js(page, "() => document.querySelector('[data-testid=upload-panel]').dataset.state === 'idle'")
    assert page.locator("[data-testid=upload-item]").get_attribute("data-status") == "cancelled"
    deadline = time.monotonic() + 10
    while partial_uploads(settings) and time.monotonic() < deadline:  # the DELETE follows the abort
        time.sleep(0.1)
    assert partial_uploads(settings) == []
    assert Image.objects.filter(project=project).count() == 4
    assert page.js_errors == []
