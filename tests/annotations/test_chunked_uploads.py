"""Chunked uploads (`…/uploads/`): a large file in pieces, assembled on disk, then ingested."""

import os
import time

import pytest

from annotations.models import Image
from annotations.services.chunked_uploads import uploads_stale_remove
from tests.annotations.upload_helpers import fast_password_hasher, jpeg_bytes, zip_bytes  # noqa: F401 (autouse fixture)


@pytest.fixture
def manager_client(client_for, manager):
    return client_for(manager)


@pytest.fixture
def small_chunks(settings):
    settings.UPLOAD_CHUNK_MAX_BYTES = 1000
    return 1000


def base(project):
    return f"/api/projects/{project.pk}/uploads/"


def open_upload(client, project, name, size):
    response = client.post(base(project), {"name": name, "size": size}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def put_chunk(client, project, upload_id, offset, data):
    return client.generic(
        "PUT", f"{base(project)}{upload_id}/chunks/?offset={offset}", data, content_type="application/octet-stream"
    )


def partial_dirs(settings) -> list:
    root = settings.UPLOAD_PARTIAL_DIR
    return sorted(os.listdir(root)) if root.exists() else []


@pytest.fixture
def archive():
    return zip_bytes({f"frame{i}.jpg": jpeg_bytes(color=(i * 20, 10, 10)) for i in (10, 2, 1)})


def send_all(client, project, upload_id, data, size):
    for offset in range(0, len(data), size):
        response = put_chunk(client, project, upload_id, offset, data[offset : offset + size])
        assert response.status_code == 200, response.json()
    return response


def test_a_zip_in_chunks_is_ingested_like_a_one_request_upload(manager_client, project, archive, small_chunks, settings):
    opened = open_upload(manager_client, project, "frames.zip", len(archive))
    assert opened["chunk_size"] == small_chunks and opened["received"] == 0
    last = send_all(manager_client, project, opened["upload_id"], archive, small_chunks)
    assert last.json()["received"] == len(archive)
    response = manager_client.post(f"{base(project)}{opened['upload_id']}/complete/", {}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [i["original_name"] for i in body["images"]] == ["frame1.jpg", "frame2.jpg", "frame10.jpg"]
    assert body["duplicates"] == [] and body["skipped"] == []
    assert partial_dirs(settings) == []  # the assembled file is gone
    again = manager_client.post(f"{base(project)}{opened['upload_id']}/complete/", {}, format="json")
    assert again.status_code == 404


def test_a_chunk_sent_again_is_harmless(manager_client, project, archive, small_chunks):
    upload_id = open_upload(manager_client, project, "frames.zip", len(archive))["upload_id"]
    first = archive[:small_chunks]
    assert put_chunk(manager_client, project, upload_id, 0, first).json()["received"] == small_chunks
    # The answer was lost: the browser sends the same chunk again.
    assert put_chunk(manager_client, project, upload_id, 0, first).json()["received"] == small_chunks
    send_all(manager_client, project, upload_id, archive, small_chunks)
    response = manager_client.post(f"{base(project)}{upload_id}/complete/", {}, format="json")
    assert response.status_code == 201 and len(response.json()["images"]) == 3


def test_a_chunk_out_of_order_is_409_with_the_expected_offset(manager_client, project, archive, small_chunks):
    upload_id = open_upload(manager_client, project, "frames.zip", len(archive))["upload_id"]
    response = put_chunk(manager_client, project, upload_id, small_chunks, archive[small_chunks : 2 * small_chunks])
    assert response.status_code == 409 and response.json()["expected_offset"] == 0
    early = manager_client.post(f"{base(project)}{upload_id}/complete/", {}, format="json")
    assert early.status_code == 409 and early.json()["expected_offset"] == 0
    assert put_chunk(manager_client, project, upload_id, -1, b"x").status_code == 400
    assert put_chunk(manager_client, project, upload_id, "abc", b"x").status_code == 400
    assert Image.objects.count() == 0


def test_oversize_is_413(manager_client, project, small_chunks, settings):
    settings.UPLOAD_MAX_BYTES = 5000
    too_big = manager_client.post(base(project), {"name": "big.zip", "size": 5001}, format="json")
    assert too_big.status_code == 413
    upload_id = open_upload(manager_client, project, "a.zip", 1500)["upload_id"]
    assert put_chunk(manager_client, project, upload_id, 0, b"x" * (small_chunks + 1)).status_code == 413
    assert put_chunk(manager_client, project, upload_id, 0, b"x" * 1000).status_code == 200
    assert put_chunk(manager_client, project, upload_id, 1000, b"x" * 501).status_code == 413  # past the declared size
    bad = manager_client.post(base(project), {"name": "", "size": "many"}, format="json")
    assert bad.status_code == 400


def test_cancel_removes_the_partial_file(manager_client, project, archive, small_chunks, settings):
    upload_id = open_upload(manager_client, project, "frames.zip", len(archive))["upload_id"]
    put_chunk(manager_client, project, upload_id, 0, archive[:small_chunks])
    assert partial_dirs(settings) == [upload_id]
    assert manager_client.delete(f"{base(project)}{upload_id}/").status_code == 204
    assert partial_dirs(settings) == []
    assert put_chunk(manager_client, project, upload_id, small_chunks, b"x").status_code == 404


def test_unknown_or_someone_elses_upload_is_404(manager_client, client_for, project, archive):
    from tests.factories import MembershipFactory

    upload_id = open_upload(manager_client, project, "frames.zip", len(archive))["upload_id"]
    other = MembershipFactory(project=project, role="manager").user
    assert put_chunk(client_for(other), project, upload_id, 0, b"x").status_code == 404
    assert put_chunk(manager_client, project, "0" * 32, 0, b"x").status_code == 404
    assert put_chunk(manager_client, project, "../../etc", 0, b"x").status_code == 404


def test_a_refused_file_is_removed_and_stores_nothing(manager_client, project, settings):
    data = b"not a zip at all"
    upload_id = open_upload(manager_client, project, "frames.zip", len(data))["upload_id"]
    put_chunk(manager_client, project, upload_id, 0, data)
    response = manager_client.post(f"{base(project)}{upload_id}/complete/", {}, format="json")
    assert response.status_code == 400 and "frames.zip" in response.json()["detail"]
    assert Image.objects.count() == 0 and partial_dirs(settings) == []


def test_stale_partial_uploads_are_removed_when_one_is_opened(manager_client, project, settings):
    old = open_upload(manager_client, project, "old.zip", 10)["upload_id"]
    assert uploads_stale_remove() == 0
    later = time.time() + settings.UPLOAD_PARTIAL_MAX_AGE + 1
    assert uploads_stale_remove(now=later) == 1
    assert old not in partial_dirs(settings)


def test_a_single_image_in_chunks_is_stored_under_its_name(manager_client, project, small_chunks):
    from tests.factories import png_bytes

    data = png_bytes(300, 200, (40, 80, 120))
    opened = open_upload(manager_client, project, "dir/big frame.png", len(data))
    assert opened["name"] == "big frame.png"  # a path is never kept
    send_all(manager_client, project, opened["upload_id"], data, small_chunks)
    body = manager_client.post(f"{base(project)}{opened['upload_id']}/complete/", {}, format="json").json()
    [image] = body["images"]
    assert (image["original_name"], image["width"], image["height"]) == ("big frame.png", 300, 200)
