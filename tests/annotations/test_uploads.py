"""Uploads through `POST /api/projects/{id}/images/` and the ingest service: what is kept, what is refused.

Every refused upload leaves both the database and the media folder exactly as they were.
"""

import io
import pytest

from annotations.models import Image
from annotations.services.ingest import images_ingest
from tests.annotations.upload_helpers import (  # noqa: F401 (autouse fixture)
    fast_password_hasher,
    html_with_png_header,
    jpeg_bytes,
    media_files,
    png_declaring,
    zip_bytes,
)
from tests.factories import png_bytes


def upload(client, project, *files):
    payload = {"file": [_named(name, data) for name, data in files]}
    return client.post(f"/api/projects/{project.pk}/images/", payload, format="multipart")


def _named(name, data):
    stream = io.BytesIO(data)
    stream.name = name
    return stream


@pytest.fixture
def manager_client(client_for, manager):
    return client_for(manager)


@pytest.fixture
def unchanged(project, media_root):
    """Asserts, after the test body, that no row and no file was added."""
    before_rows = Image.objects.count()
    before_files = media_files(media_root)
    yield
    assert Image.objects.count() == before_rows
    assert media_files(media_root) == before_files


def test_a_png_is_stored_with_its_size_hash_and_format(manager_client, project, media_root):
    data = png_bytes(64, 48)
    response = upload(manager_client, project, ("cat.png", data))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["duplicates"] == []
    [image] = body["images"]
    assert (image["width"], image["height"], image["format"], image["frame_index"]) == (64, 48, "PNG", 0)
    import hashlib

    assert image["sha256"] == hashlib.sha256(data).hexdigest()
    stored = Image.objects.get(pk=image["id"])
    assert stored.original_name == "cat.png" and stored.status == "new"
    assert (media_root / stored.file.name).read_bytes() == data


def test_an_upload_tells_the_project_dashboard_after_commit(
    manager_client, project, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(manager_client, project, ("a.png", png_bytes(color=(4, 4, 4))))
    assert [(g, t) for g, t, _ in sent] == [(f"project.{project.pk}", "project.progress")]
    assert sent[0][2]["total"] == 1 and sent[0][2]["counts"]["new"] == 1


def test_a_refused_upload_tells_nobody(manager_client, project, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(manager_client, project, ("a.png", png_bytes()), ("b.png", b"broken"))
    assert sent == []


def test_the_format_comes_from_the_bytes_not_the_name(manager_client, project):
    response = upload(manager_client, project, ("photo.png", jpeg_bytes()))
    assert response.status_code == 201
    assert response.json()["images"][0]["format"] == "JPEG"
    assert Image.objects.get().file.name.endswith(".jpg")


def test_a_zip_is_expanded_in_sorted_entry_order_and_frames_continue(manager_client, project, image):
    archive = zip_bytes(
        {"b.png": png_bytes(color=(2, 2, 2)), "a.png": png_bytes(color=(1, 1, 1)), "dir/c.jpg": jpeg_bytes()}
    )
    response = upload(manager_client, project, ("frames.zip", archive))
    assert response.status_code == 201, response.json()
    images = response.json()["images"]
    assert [i["original_name"] for i in images] == ["a.png", "b.png", "dir/c.jpg"]
    assert [i["frame_index"] for i in images] == [image.frame_index + 1, image.frame_index + 2, image.frame_index + 3]


def test_duplicates_are_reported_not_stored_twice(manager_client, project, media_root):
    data = png_bytes(color=(5, 6, 7))
    assert upload(manager_client, project, ("one.png", data)).status_code == 201
    files_before = media_files(media_root)
    response = upload(manager_client, project, ("again.png", data), ("new.png", png_bytes(color=(9, 9, 9))))
    assert response.status_code == 201
    assert response.json()["duplicates"] == ["again.png"]
    assert [i["original_name"] for i in response.json()["images"]] == ["new.png"]
    assert Image.objects.filter(project=project).count() == 2
    assert len(media_files(media_root) - files_before) == 1


def test_the_same_file_twice_in_one_upload_is_stored_once(project, manager):
    data = png_bytes(color=(1, 2, 3))
    files = [("x.png", io.BytesIO(data)), ("y.png", io.BytesIO(data))]
    result = images_ingest(project=project, user=manager, files=files)
    assert [i.original_name for i in result.images] == ["x.png"]
    assert result.duplicates == ["y.png"]
    assert result.by_name["y.png"] == result.by_name["x.png"]


def test_metadata_is_stored_per_name(project, manager):
    result = images_ingest(
        project=project, user=manager, files=[("f.png", io.BytesIO(png_bytes()))], metadata={"f.png": {"action": 3}}
    )
    assert Image.objects.get(pk=result.images[0].pk).metadata == {"original_name": "f.png", "action": 3}


def test_the_same_file_may_live_in_two_projects(project, manager):
    from tests.factories import ProjectFactory

    data = png_bytes(color=(3, 3, 3))
    other = ProjectFactory()
    images_ingest(project=project, user=manager, files=[("a.png", io.BytesIO(data))])
    result = images_ingest(project=other, user=manager, files=[("a.png", io.BytesIO(data))])
    assert len(result.images) == 1 and result.duplicates == []


def truncated_png() -> bytes:
    return png_bytes(200, 200)[:-60]


BAD_UPLOADS = [
    # (id, files, status, text the error must contain)
    ("text file", [("notes.png", b"just some text")], 400, "notes.png"),
    ("html with a png header", [("page.png", html_with_png_header())], 400, "page.png"),
    ("truncated png", [("cut.png", truncated_png())], 400, "cut.png"),
    ("empty file", [("empty.png", b"")], 400, "empty.png"),
    ("decompression bomb", [("bomb.png", png_declaring(20000, 20000))], 413, "bomb.png"),
    ("over the pixel limit", [("huge.png", png_declaring(10000, 10000))], 413, "huge.png"),
    ("svg", [("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>')], 400, "logo.png"),
    ("zip slip", [("evil.zip", zip_bytes({"../x.png": png_bytes()}))], 400, "../x.png"),
    ("absolute entry", [("abs.zip", zip_bytes({"/etc/x.png": png_bytes()}))], 400, "/etc/x.png"),
    ("drive letter entry", [("win.zip", zip_bytes({"C:/x.png": png_bytes()}))], 400, "C:/x.png"),
    ("backslash traversal", [("win2.zip", zip_bytes({"..\\x.png": png_bytes()}))], 400, "x.png"),
    ("empty zip", [("empty.zip", zip_bytes({}))], 400, "empty.zip"),
    ("nested zip", [("outer.zip", zip_bytes({"inner.zip": zip_bytes({"a.png": png_bytes()})}))], 400, "inner.zip"),
    ("only non-images in zip", [("notes.zip", zip_bytes({"b.txt": b"hello"}))], 400, "No image"),
    ("corrupt zip", [("broken.zip", zip_bytes({"a.png": png_bytes()})[:40])], 400, "broken.zip"),
    (
        "one good one bad",
        [("good.png", png_bytes(color=(1, 9, 1))), ("bad.png", b"nope")],
        400,
        "bad.png",
    ),
]


@pytest.mark.parametrize("files,status,mentions", [case[1:] for case in BAD_UPLOADS], ids=[c[0] for c in BAD_UPLOADS])
def test_a_bad_upload_is_refused_naming_the_file_and_keeps_nothing(
    manager_client, project, unchanged, files, status, mentions
):
    response = upload(manager_client, project, *files)
    assert response.status_code == status, response.content
    assert mentions in response.json()["detail"]


def test_over_the_byte_limit_per_image_is_413(manager_client, project, unchanged, settings):
    settings.IMAGE_MAX_BYTES = 1000
    response = upload(manager_client, project, ("big.png", png_bytes(300, 300, (1, 2, 3)) + b"\0" * 2000))
    assert response.status_code == 413
    assert "big.png" in response.json()["detail"]


def test_over_the_total_byte_limit_is_413(manager_client, project, unchanged, settings):
    one, two = png_bytes(color=(1, 1, 1)), png_bytes(color=(2, 2, 2))
    settings.UPLOAD_MAX_BYTES = len(one) + len(two) - 1
    response = upload(manager_client, project, ("a.png", one), ("b.png", two))
    assert response.status_code == 413


def test_over_the_file_count_limit_is_413(manager_client, project, unchanged, settings):
    settings.UPLOAD_MAX_FILES = 2
    archive = zip_bytes({f"{i}.png": png_bytes(color=(i, i, i)) for i in range(3)})
    response = upload(manager_client, project, ("many.zip", archive))
    assert response.status_code == 413
    assert "many.zip" in response.json()["detail"]


def test_over_the_pixel_limit_is_413(manager_client, project, unchanged, settings):
    settings.IMAGE_MAX_PIXELS = 100
    response = upload(manager_client, project, ("wide.png", png_bytes(20, 20)))
    assert response.status_code == 413
    assert "wide.png" in response.json()["detail"]


def test_more_files_than_a_form_may_carry_is_a_json_413(manager_client, project, unchanged, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    files = [(f"{i}.png", png_bytes(4, 4, (i, 0, 0))) for i in range(4)]
    response = upload(manager_client, project, *files)
    assert response.status_code == 413
    assert "zip" in response.json()["detail"]


def test_a_zip_bomb_is_refused_by_its_real_size(manager_client, project, unchanged, settings):
    """An entry that inflates far beyond the per-image limit is cut off while reading."""
    settings.IMAGE_MAX_BYTES = 100_000
    archive = zip_bytes({"bomb.png": b"\0" * 5_000_000})
    assert len(archive) < 20_000
    response = upload(manager_client, project, ("bomb.zip", archive))
    assert response.status_code == 413
    assert "bomb.png" in response.json()["detail"]


def test_a_zip_that_lies_about_its_sizes_is_still_refused(manager_client, project, unchanged, settings):
    settings.IMAGE_MAX_BYTES = 100_000
    raw = bytearray(zip_bytes({"bomb.png": b"\0" * 2_000_000}))
    # Rewrite the declared uncompressed size (local header and central directory) to 10 bytes.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.find(signature)
        raw[at + offset : at + offset + 4] = (10).to_bytes(4, "little")
    response = upload(manager_client, project, ("liar.zip", bytes(raw)))
    assert response.status_code in (400, 413)
    assert "liar.zip" in response.json()["detail"]


def test_a_failure_while_storing_removes_the_files_already_written(project, manager, media_root, monkeypatch):
    """Even after some files were written, an error in the transaction leaves no file and no row."""
    from annotations.services import ingest

    calls = {"n": 0}
    real_save = Image.save

    def failing_save(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Image, "save", failing_save)
    files = [("a.png", io.BytesIO(png_bytes(color=(1, 0, 0)))), ("b.png", io.BytesIO(png_bytes(color=(2, 0, 0))))]
    with pytest.raises(RuntimeError):
        ingest.images_ingest(project=project, user=manager, files=files)
    assert Image.objects.count() == 0
    assert media_files(media_root) == set()


def test_an_outer_rollback_inside_the_guard_removes_the_files(project, manager, media_root):
    from django.db import transaction

    from annotations.services.ingest import stored_files_guard

    with pytest.raises(ValueError), stored_files_guard(), transaction.atomic():
        images_ingest(project=project, user=manager, files=[("a.png", io.BytesIO(png_bytes()))])
        raise ValueError("a later step of the import failed")
    assert Image.objects.count() == 0
    assert media_files(media_root) == set()


def test_upload_without_a_file_is_400(manager_client, project):
    response = manager_client.post(f"/api/projects/{project.pk}/images/", {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


@pytest.mark.parametrize("role", ["annotator", "reviewer"])
def test_only_managers_upload(client_for, project, request, role, unchanged):
    user = request.getfixturevalue(role)
    response = upload(client_for(user), project, ("a.png", png_bytes()))
    assert response.status_code == 403


def test_an_outsider_uploading_gets_404(client_for, project, outsider, unchanged):
    assert upload(client_for(outsider), project, ("a.png", png_bytes())).status_code == 404


def test_natural_key_puts_frame2_before_frame10():
    from annotations.services.ingest import natural_key

    names = ["frame10.png", "Frame2.png", "frame1.png", "frame_b.png", "frame02.png", "a/frame3.png"]
    assert sorted(names, key=natural_key) == [
        "a/frame3.png", "frame1.png", "Frame2.png", "frame02.png", "frame10.png", "frame_b.png"
    ]  # fmt: skip


def test_frames_are_numbered_in_natural_name_order_and_keep_their_names(manager_client, project):
    files = [(f"frame{i}.png", png_bytes(color=(i, 0, 0))) for i in (10, 2, 1, 11, 3)]
    response = upload(manager_client, project, *files)
    assert response.status_code == 201, response.json()
    images = response.json()["images"]
    assert [i["original_name"] for i in images] == ["frame1.png", "frame2.png", "frame3.png", "frame10.png", "frame11.png"]
    assert [i["frame_index"] for i in images] == [0, 1, 2, 3, 4]
    assert [i["metadata"]["original_name"] for i in images] == [i["original_name"] for i in images]


def test_order_given_keeps_the_order_the_files_were_sent_in(manager_client, project):
    files = [("b10.png", png_bytes(color=(1, 0, 0))), ("b2.png", png_bytes(color=(2, 0, 0)))]
    payload = {"file": [_named(n, d) for n, d in files], "order": "given"}
    response = manager_client.post(f"/api/projects/{project.pk}/images/", payload, format="multipart")
    assert [i["original_name"] for i in response.json()["images"]] == ["b10.png", "b2.png"]
    bad = manager_client.post(f"/api/projects/{project.pk}/images/", {"file": [_named("c.png", png_bytes())], "order": "x"}, format="multipart")
    assert bad.status_code == 400 and "order" in bad.json()


def test_a_zip_with_non_images_imports_the_images_and_lists_the_rest(manager_client, project, media_root):
    archive = zip_bytes(
        {
            "frame10.png": png_bytes(color=(10, 0, 0)),
            "frame9.png": png_bytes(color=(9, 0, 0)),
            "notes.txt": b"shot on a Tuesday",
            "broken.jpg": jpeg_bytes()[:60],
            "empty.png": b"",
        }
    )
    response = upload(manager_client, project, ("shots.zip", archive))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [i["original_name"] for i in body["images"]] == ["frame9.png", "frame10.png"]
    reasons = {item["name"]: item["reason"] for item in body["skipped"]}
    assert set(reasons) == {"notes.txt", "broken.jpg", "empty.png"}
    assert "not an image" in reasons["notes.txt"] and "damaged" in reasons["broken.jpg"] and "empty" in reasons["empty.png"]
    assert Image.objects.filter(project=project).count() == 2
    assert len(media_files(media_root)) == 2


def test_a_lone_non_image_file_is_still_refused(manager_client, project, unchanged):
    response = upload(manager_client, project, ("a.png", png_bytes()), ("notes.txt", b"hello"))
    assert response.status_code == 400
    assert "notes.txt" in response.json()["detail"]


class _CountingStream(io.BytesIO):
    """A seekable upload that remembers its largest single read."""

    largest = 0

    def read(self, size=-1):
        data = super().read(size)
        self.largest = max(self.largest, len(data))
        return data


def test_a_zip_upload_is_read_entry_by_entry_never_whole(project, manager):
    import os

    from PIL import Image as PILImage

    def noise_png() -> bytes:  # noise does not compress: every entry is ~12 kB in the zip too
        buffer = io.BytesIO()
        PILImage.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3)).save(buffer, format="PNG")
        return buffer.getvalue()

    frames = {f"f{i}.png": noise_png() for i in range(30)}
    archive = zip_bytes(frames)
    stream = _CountingStream(archive)
    result = images_ingest(project=project, user=manager, files=[("frames.zip", stream)])
    assert len(result.images) == 30
    assert stream.largest <= max(len(d) for d in frames.values()) + 4096  # one entry (plus a header read)
    assert stream.largest < len(archive) // 10


def test_a_coco_file_sent_after_its_images_adds_labels_and_boxes_once(manager_client, project, client_for, annotator):
    from annotations.models import Box, Label

    upload(manager_client, project, ("a.png", png_bytes(64, 48, (1, 0, 0))), ("b.png", png_bytes(64, 48, (2, 0, 0))))
    coco = {
        "images": [{"id": 1, "file_name": "frames/a.png"}, {"id": 2, "file_name": "b.png"}],
        "categories": [{"id": 7, "name": "gull"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 7, "bbox": [1, 2, 10, 10]},
            {"id": 2, "image_id": 2, "category_id": 7, "bbox": [5, 5, 20, 20]},
        ],
    }
    url = f"/api/projects/{project.pk}/coco/"
    first = manager_client.post(url, coco, format="json")
    assert first.status_code == 201, first.json()
    assert first.json() == {"images": 2, "labels": 1, "boxes": 2, "boxes_already_there": 0,
                            "tracks": 0}
    assert Label.objects.filter(project=project, name="gull").exists()
    again = manager_client.post(url, coco, format="json").json()
    assert (again["boxes"], again["boxes_already_there"]) == (0, 2)
    assert Box.objects.filter(image__project=project).count() == 2

    missing = manager_client.post(url, {**coco, "images": [*coco["images"], {"id": 3, "file_name": "c.png"}]}, format="json")
    assert missing.status_code == 400 and "c.png" in missing.json()["detail"]
    assert manager_client.post(url, ["not", "coco"], format="json").status_code == 400
    assert client_for(annotator).post(url, coco, format="json").status_code == 403
    assert Box.objects.filter(image__project=project).count() == 2
