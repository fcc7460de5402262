"""Hostile input is a 4xx, never a 500: each class of crash the fuzzing found, closed at its mechanism."""

import datetime as dt
import io
import json

import numpy as np
import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from PIL import Image as PILImage

from annotations.api.parsers import MAX_JSON_DEPTH, loads
from annotations.converters import BOUNDED_CONVERTERS, MAX_ID
from annotations.models import Membership
from tests.factories import ImageFactory

# --- path ids: one bounded converter for every route -------------------------------------------


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.pattern.converters


def test_every_id_in_every_route_uses_the_bounded_converter():
    """No route takes an unbounded `<id:…>`: ids past 64 bits would overflow the database driver."""
    from annotations.routing import websocket_urlpatterns

    routes = list(_patterns(get_resolver())) + [(str(p.pattern), p.pattern.converters) for p in websocket_urlpatterns]
    assert not [route for route, converters in routes if any(isinstance(c, IntConverter) for c in converters.values())]
    ids = [
        (route, converter)
        for route, converters in routes
        for name, converter in converters.items()
        if name in ("pk", "id") or name.endswith("_id")
    ]
    assert len(ids) > 30
    unbounded = [route for route, c in ids if not isinstance(c, BOUNDED_CONVERTERS) and not route.startswith("admin/")]
    assert unbounded == []


def test_ids_past_64_bits_are_not_found(client_for, manager, project):
    huge = "99999999999999999999"
    client = client_for(manager)
    for url in (
        f"/api/projects/{project.pk}/members/{huge}/",
        f"/api/projects/{huge}/",
        f"/api/images/{huge}/boxes/",
        f"/api/boxes/{MAX_ID + 1}/",
    ):
        response = client.delete(url) if "members" in url else client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json" and "detail" in response.json()
    assert Membership.objects.filter(project=project).count() == 1
    assert client.get(f"/api/projects/{MAX_ID}/").status_code == 404  # the largest id is still an id


# --- dates: refused or clamped, never overflowing ----------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "until=9999-12-31",
        "since=9999-12-31",
        "since=0001-01-01",
        "until=0001-01-01T00:00:00+14:00",
        "until=9999-12-31T23:59:59-12:00",
        "since=0001-01-01&until=9999-12-31",
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_answered(client_for, manager, project, query):
    response = client_for(manager).get(f"/api/projects/{project.pk}/metrics/?{query}")
    assert response.status_code in (200, 400), response.content
    assert isinstance(response.json(), dict)


def test_a_date_range_covering_the_whole_calendar_counts_everything(client_for, manager, project):
    response = client_for(manager).get(f"/api/projects/{project.pk}/metrics/?since=0001-01-01&until=9999-12-31")
    assert response.status_code == 200


def test_metric_moments_clamp_to_the_calendar():
    from feedback.api.metrics import _moment

    assert _moment("9999-12-31", end=True) == dt.datetime.max.replace(tzinfo=dt.UTC)
    assert _moment("0001-01-01T00:00:00+14:00", end=False) == dt.datetime.min.replace(tzinfo=dt.UTC)
    assert _moment("2026-01-31", end=True) == dt.datetime(2026, 2, 1, tzinfo=dt.UTC)


# --- JSON: one parser, depth errors are a 400 ----------------------------------------------------


def test_a_deeply_nested_json_body_is_a_400(client_for, manager, project):
    body = "[" * 100_000 + "]" * 100_000
    for url in (f"/api/projects/{project.pk}/labels/", "/api/projects/", f"/api/projects/{project.pk}/"):
        method = "patch" if url.endswith(f"/{project.pk}/") else "post"
        response = getattr(client_for(manager), method)(url, body, content_type="application/json")
        assert response.status_code == 400, url
        assert "nested" in response.json()["detail"]


def test_json_nested_past_the_limit_is_refused_below_it_parsed():
    assert loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
    with pytest.raises(ValueError, match="nested"):
        loads("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    with pytest.raises(ValueError, match="nested"):
        loads('{"a":' * 50_000 + "1" + "}" * 50_000)
    assert loads(json.dumps({"a": [1, {"b": "[[[["}]})) == {"a": [1, {"b": "[[[["}]}  # brackets in strings


def test_the_rest_framework_uses_the_bounded_parser(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"][0] == "annotations.api.parsers.JSONParser"


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_deeply_nested_websocket_frame_is_answered_with_an_error(image, annotator):
    from tests.live.helpers import connect

    comm, _ = await connect(f"/ws/images/{image.pk}/", annotator)
    await comm.send_to(text_data="[" * 2000 + "]" * 2000)
    reply = await comm.receive_json_from(timeout=5)
    while reply["type"] == "presence":
        reply = await comm.receive_json_from(timeout=5)
    assert reply["type"] == "error"
    await comm.send_json_to({"type": "presence.ping"})  # the connection is still up
    assert (await comm.receive_json_from(timeout=5))["type"] == "presence"
    await comm.disconnect()


# --- thumbnails: every Pillow mode normalised first ----------------------------------------------


FILE_FORMATS = {"I;16B": "TIFF", "I": "TIFF", "F": "TIFF", "PA": "TIFF", "CMYK": "TIFF", "LAB": "TIFF"}  # else PNG
RAMP = np.arange(60 * 80).reshape(60, 80)


def _picture(mode: str) -> PILImage.Image:
    """An 80x60 picture in `mode` with a ramp of values across the mode's range (not one flat colour)."""
    if mode in ("I;16", "I;16B", "I;16L"):
        data = (RAMP * 13).astype(">u2" if mode == "I;16B" else "<u2").tobytes()
        return PILImage.frombytes(mode, (80, 60), data)
    if mode == "I":
        return PILImage.fromarray((RAMP * 100_000 - 200_000_000).astype(np.int32), mode="I")
    if mode == "F":
        return PILImage.fromarray((RAMP / 7.0 - 100).astype(np.float32), mode="F")
    ramp = PILImage.fromarray((RAMP % 256).astype(np.uint8), mode="L")
    if mode == "P":
        picture = ramp.convert("P")
        picture.info["transparency"] = 0
        return picture
    if mode == "L":
        return ramp
    if mode == "1":
        return ramp.convert("1")
    if mode in ("LA", "PA", "La"):
        return PILImage.merge("LA", (ramp, ramp.rotate(180))).convert(mode)
    if mode == "LAB":
        return PILImage.merge("LAB", (ramp, ramp.rotate(180), ramp))
    return PILImage.merge("RGB", (ramp, ramp.rotate(180), ramp)).convert(mode)


def _frame(mode: str) -> tuple[bytes, str]:
    fmt = FILE_FORMATS.get(mode, "PNG")
    buffer = io.BytesIO()
    _picture(mode).save(buffer, format=fmt)
    return buffer.getvalue(), fmt


FILE_MODES = ["I;16", "I;16B", "I", "F", "1", "L", "P", "PA", "LA", "RGB", "RGBA", "CMYK", "LAB"]


@pytest.mark.parametrize("mode", FILE_MODES)
def test_a_thumbnail_is_made_from_every_pillow_mode(client_for, annotator, project, mode):
    content, fmt = _frame(mode)
    with PILImage.open(io.BytesIO(content)) as check:
        assert check.mode == mode  # the frame really is stored in that mode
    frame = ImageFactory(project=project, content=content, format=fmt, width=80, height=60)
    response = client_for(annotator).get(f"/api/images/{frame.pk}/file/?thumb=64")
    assert response.status_code == 200, mode
    with PILImage.open(io.BytesIO(b"".join(response.streaming_content))) as thumb:
        assert thumb.size == (64, 48)
        assert thumb.mode in ("L", "RGB", "RGBA", "LA")
        if mode in ("I;16", "I", "F"):
            low, high = thumb.convert("L").getextrema()
            assert high - low > 100  # the range is stretched to 8 bits, not clipped to black or white


@pytest.mark.parametrize("mode", ["I;16L", "RGBX", "RGBa", "La", "YCbCr", "HSV"])
def test_modes_no_file_opens_in_are_normalised_too(mode):
    from annotations.services.thumbnails import displayable

    picture = displayable(_picture(mode))
    assert picture.mode in ("L", "RGB", "RGBA", "LA")
    assert picture.size == (80, 60)
