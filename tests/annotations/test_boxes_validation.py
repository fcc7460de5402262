"""Bad box input is a clear 400 (never a 500) and writes nothing."""

import pytest

from annotations.models import AnnotationEvent, Box
from tests.factories import BoxFactory, LabelFactory, ProjectFactory


GOOD = {"x_min": 10, "y_min": 20, "x_max": 110, "y_max": 220}


@pytest.fixture
def client(client_for, annotator):
    return client_for(annotator)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"x_min": "NaN"}, "x_min"),
        ({"x_min": "nan"}, "x_min"),
        ({"y_max": "Infinity"}, "y_max"),
        ({"x_max": "wide"}, "x_max"),
        ({"x_max": True}, "x_max"),
        ({"x_max": None}, "x_max"),
        ({"x_max": [1]}, "x_max"),
        ({"x_max": {"a": 1}}, "x_max"),
        ({"y_min": 10**400}, "y_min"),
        ({"x_max": 1e300}, "x_max"),
        ({"x_max": 641}, "x_max"),
        ({"y_max": 481}, "y_max"),
        ({"x_min": -1}, "x_min"),
        ({"x_min": 110}, "x_max"),
        ({"y_min": 300}, "y_max"),
        ({"label": "person"}, "label"),
        ({"label": 2**80}, "label"),
        ({"label": -3}, "label"),
        ({"label": True}, "label"),
    ],
)
def test_bad_create_input_is_400_naming_the_field(client, image, label, change, field):
    body = {"label": label.pk, **GOOD, **change}
    response = client.post(f"/api/images/{image.pk}/boxes/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json() and "detail" in response.json()
    assert not Box.objects.exists() and not AnnotationEvent.objects.exists()


def test_missing_fields_are_400(client, image, label):
    response = client.post(f"/api/images/{image.pk}/boxes/", {"label": label.pk}, format="json")
    assert response.status_code == 400
    assert {"x_min", "y_min", "x_max", "y_max"} <= set(response.json())


def test_a_label_of_another_project_reads_as_unknown(client, image):
    foreign = LabelFactory(project=ProjectFactory(), name="person")
    response = client.post(f"/api/images/{image.pk}/boxes/", {"label": foreign.pk, **GOOD}, format="json")
    assert response.status_code == 400
    assert response.json()["label"] == ["Unknown label for this project."]


def test_unknown_fields_are_ignored_and_cannot_set_server_fields(client, annotator, image, label, outsider):
    body = {"label": label.pk, **GOOD, "version": 99, "source": "ai", "created_by": outsider.pk, "colour": "red"}
    response = client.post(f"/api/images/{image.pk}/boxes/", body, format="json")
    assert response.status_code == 201
    assert response.json()["version"] == 1 and response.json()["source"] == "human"
    assert response.json()["created_by"] == annotator.pk


@pytest.mark.parametrize(
    "body", [{"x_min": 0}, {"version": None}, {"version": "one"}, {"version": 0}, {"version": 2**40}]
)
def test_patch_without_a_valid_version_is_400(client, image, label, body):
    box = BoxFactory(image=image, label=label)
    response = client.patch(f"/api/boxes/{box.pk}/", body, format="json")
    assert response.status_code == 400 and "version" in response.json()
    box.refresh_from_db()
    assert box.version == 1 and box.x_min == 1


@pytest.mark.parametrize("query", ["", "?version=", "?version=abc", "?version=-1", "?version=1e3"])
def test_delete_without_a_valid_version_is_400(client, image, label, query):
    box = BoxFactory(image=image, label=label)
    response = client.delete(f"/api/boxes/{box.pk}/{query}")
    assert response.status_code == 400 and "version" in response.json()
    assert not Box.objects.get(pk=box.pk).deleted


def test_patch_leaving_the_image_or_inverting_is_400_and_changes_nothing(client, image, label):
    box = BoxFactory(image=image, label=label)
    for change in ({"x_max": 700}, {"x_min": 50}, {"y_min": 20}, {"x_min": "inf"}):
        response = client.patch(f"/api/boxes/{box.pk}/", {"version": 1, **change}, format="json")
        assert response.status_code == 400, (change, response.content)
    box.refresh_from_db()
    assert (box.version, box.x_min, box.y_min, box.x_max, box.y_max) == (1, 1, 2, 30, 20)
    assert not AnnotationEvent.objects.exists()


@pytest.mark.parametrize("raw", [b"[1, 2]", b'"text"', b"{not json", b'{"version": NaN, "x_min": 0}', b"null"])
def test_malformed_json_bodies_are_400(client, image, label, raw):
    box = BoxFactory(image=image, label=label)
    for method, url in (("patch", f"/api/boxes/{box.pk}/"), ("post", f"/api/images/{image.pk}/boxes/")):
        response = getattr(client, method)(url, raw, content_type="application/json")
        assert response.status_code == 400, (method, raw, response.content)
        assert "detail" in response.json()


@pytest.mark.parametrize("literal", [b"1e400", b"-1e400", b"Infinity", b"NaN", b"1" + b"0" * 5000])
def test_json_number_literals_out_of_range_are_400(client, image, label, literal):
    raw = b'{"label": %d, "x_min": 1, "y_min": 1, "x_max": %s, "y_max": 5}' % (label.pk, literal)
    response = client.post(f"/api/images/{image.pk}/boxes/", raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert not Box.objects.exists()


def test_form_encoded_numbers_are_accepted(client, image, label):
    response = client.post(f"/api/images/{image.pk}/boxes/", {"label": str(label.pk), "x_min": "1.5", "y_min": "2",
                                                             "x_max": "3", "y_max": "4"})
    assert response.status_code == 201 and response.json()["x_min"] == 1.5
