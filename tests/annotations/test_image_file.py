"""Image bytes: members only, the content type Pillow detected, nosniff, inline with a safe name; thumbnails."""

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image as PILImage

from annotations.models import Image
from tests.annotations.upload_helpers import fast_password_hasher, jpeg_bytes, media_files  # noqa: F401
from tests.factories import ImageFactory, png_bytes


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_member_gets_the_exact_bytes_with_safe_headers(client_for, annotator, image):
    response = client_for(annotator).get(f"/api/images/{image.pk}/file/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="frame-{image.pk}.png"'
    assert "private" in response["Cache-Control"]
    with image.file.open("rb") as stored:
        assert body_of(response) == stored.read()


def test_the_content_type_follows_the_detected_format_not_the_name(client_for, annotator, project):
    jpeg = ImageFactory(project=project, format="JPEG", content=jpeg_bytes(), original_name="looks-like.png")
    response = client_for(annotator).get(f"/api/images/{jpeg.pk}/file/")
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == f'inline; filename="frame-{jpeg.pk}.jpg"'


def test_an_unknown_format_is_served_as_opaque_bytes(client_for, annotator, project):
    odd = ImageFactory(project=project, format="XYZ")
    assert client_for(annotator).get(f"/api/images/{odd.pk}/file/")["Content-Type"] == "application/octet-stream"


@pytest.mark.parametrize("who", ["outsider", None])
def test_non_members_and_anonymous_get_nothing(client_for, image, request, who):
    user = request.getfixturevalue(who) if who else None
    response = client_for(user).get(f"/api/images/{image.pk}/file/")
    assert response.status_code == (404 if who else 401)
    assert not response.has_header("Content-Disposition")


def test_a_missing_image_is_404(client_for, staff):
    assert client_for(staff).get("/api/images/987654321/file/").status_code == 404


def test_thumbnail_is_a_small_jpeg_and_cached_in_storage(client_for, annotator, project, media_root):
    big = ImageFactory(project=project, width=800, height=400)
    client = client_for(annotator)
    before = media_files(media_root)
    response = client.get(f"/api/images/{big.pk}/file/?thumb=256")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    thumb = PILImage.open(io.BytesIO(body_of(response)))
    assert (thumb.format, thumb.size) == ("JPEG", (256, 128))
    added = media_files(media_root) - before
    assert len(added) == 1 and next(iter(added)).startswith(f"thumbs/{project.pk}/")
    client.get(f"/api/images/{big.pk}/file/?thumb=256")
    assert media_files(media_root) - before == added  # made once


def test_a_transparent_frame_gets_a_png_thumbnail(client_for, annotator, project):
    buffer = io.BytesIO()
    PILImage.new("RGBA", (300, 300), (0, 0, 0, 0)).save(buffer, format="PNG")
    frame = ImageFactory(project=project, width=300, height=300, content=buffer.getvalue())
    response = client_for(annotator).get(f"/api/images/{frame.pk}/file/?thumb=128")
    assert response["Content-Type"] == "image/png"


@pytest.mark.parametrize("thumb", ["100", "abc", "-1", "99999999999999999999"])
def test_unsupported_thumbnail_sizes_are_400(client_for, annotator, image, thumb):
    response = client_for(annotator).get(f"/api/images/{image.pk}/file/?thumb={thumb}")
    assert response.status_code == 400 and "thumb" in response.json()["detail"]


def test_a_stored_polyglot_is_never_served_as_html(client_for, annotator, project):
    """Even if an HTML document with a PNG signature were stored as a PNG frame, it goes out as image/png."""
    frame = ImageFactory(project=project)
    polyglot = png_bytes() + b"<html><script>alert(1)</script></html>"
    Image.objects.filter(pk=frame.pk).update(file=frame.file.storage.save("poly.png", ContentFile(polyglot)))
    response = client_for(annotator).get(f"/api/images/{frame.pk}/file/")
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert body_of(response) == polyglot
