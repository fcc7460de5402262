"""Labels over REST: `{id, name, color, prompt}`, unique names per project, no deleting a label in use."""

import pytest

from annotations.models import Label
from tests.annotations.upload_helpers import fast_password_hasher  # noqa: F401 (autouse fixture)
from tests.factories import BoxFactory, LabelFactory, ProjectFactory


def test_members_read_labels_in_the_design_shape(client_for, annotator, label):
    body = client_for(annotator).get(f"/api/projects/{label.project_id}/labels/").json()
    [row] = body["results"]
    assert {"id", "name", "color", "prompt"} <= set(row)
    assert (row["name"], row["prompt"]) == ("person", "person")  # the prompt defaults to the name


def test_a_manager_creates_a_label(client_for, manager, project):
    body = {"name": "forklift", "color": "#00ff00", "prompt": "forklift"}
    response = client_for(manager).post(f"/api/projects/{project.pk}/labels/", body, format="json")
    assert response.status_code == 201
    assert Label.objects.get(pk=response.json()["id"]).color == "#00ff00"


@pytest.mark.parametrize(
    "body,field",
    [
        ({"name": "Person"}, "name"),  # taken, any case
        ({"name": "  "}, "name"),
        ({"name": "x", "color": "red"}, "color"),
        ({"name": "x", "prompt": "two; words!"}, "prompt"),
        ({}, "name"),
    ],
)
def test_bad_label_input_is_400_naming_the_field(client_for, manager, label, body, field):
    response = client_for(manager).post(f"/api/projects/{label.project_id}/labels/", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert Label.objects.count() == 1


def test_the_same_name_is_fine_in_another_project(client_for, staff, label):
    other = ProjectFactory()
    response = client_for(staff).post(f"/api/projects/{other.pk}/labels/", {"name": "person"}, format="json")
    assert response.status_code == 201


def test_a_manager_renames_and_recolours(client_for, manager, label):
    body = {"name": "human", "color": "#123456"}
    response = client_for(manager).patch(f"/api/labels/{label.pk}/", body, format="json")
    assert response.status_code == 200
    label.refresh_from_db()
    assert (label.name, label.color) == ("human", "#123456")


def test_renaming_onto_another_label_is_400(client_for, manager, label):
    other = LabelFactory(project=label.project, name="car")
    response = client_for(manager).patch(f"/api/labels/{other.pk}/", {"name": "person"}, format="json")
    assert response.status_code == 400 and "name" in response.json()


def test_a_label_in_use_cannot_be_deleted(client_for, manager, label, image):
    BoxFactory(image=image, label=label)
    response = client_for(manager).delete(f"/api/labels/{label.pk}/")
    assert response.status_code == 409
    assert "used by 1 box" in response.json()["detail"]
    assert Label.objects.filter(pk=label.pk).exists()


def test_an_unused_label_is_deleted(client_for, manager, label):
    assert client_for(manager).delete(f"/api/labels/{label.pk}/").status_code == 204
    assert not Label.objects.filter(pk=label.pk).exists()


def test_annotators_cannot_write_and_outsiders_get_404(client_for, annotator, outsider, label):
    assert client_for(annotator).patch(f"/api/labels/{label.pk}/", {"name": "x"}, format="json").status_code == 403
    assert client_for(annotator).delete(f"/api/labels/{label.pk}/").status_code == 403
    assert client_for(outsider).get(f"/api/labels/{label.pk}/").status_code == 404
    assert client_for(outsider).delete(f"/api/labels/{label.pk}/").status_code == 404
    assert Label.objects.get(pk=label.pk).name == "person"


def test_deleting_a_used_label_is_refused_with_the_count_or_moves_its_boxes_and_history(client_for, manager, project, image):
    from annotations.models import AnnotationEvent, Box, Label
    from tests.factories import LabelFactory

    old, new = LabelFactory(project=project, name="auto"), LabelFactory(project=project, name="car")
    client = client_for(manager)
    made = client.post(
        f"/api/images/{image.pk}/boxes/", {"label": old.pk, "x_min": 1, "y_min": 1, "x_max": 9, "y_max": 9}, format="json"
    ).json()
    gone = client.post(
        f"/api/images/{image.pk}/boxes/", {"label": old.pk, "x_min": 2, "y_min": 2, "x_max": 8, "y_max": 8}, format="json"
    ).json()
    client.delete(f"/api/boxes/{gone['id']}/?version={gone['version']}")

    refused = client.delete(f"/api/labels/{old.pk}/")
    assert refused.status_code == 409 and refused.json()["boxes"] == 2
    assert client.delete(f"/api/labels/{old.pk}/?move_to={old.pk}").status_code == 400
    assert client.delete(f"/api/labels/{old.pk}/?move_to=abc").status_code == 400

    assert client.delete(f"/api/labels/{old.pk}/?move_to={new.pk}").status_code == 204
    assert not Label.objects.filter(pk=old.pk).exists()
    assert set(Box.objects.filter(image=image).values_list("label", flat=True)) == {new.pk}
    states = [s for e in AnnotationEvent.objects.filter(image=image) for s in (e.before, e.after) if s and "label" in s]
    assert states and {s["label"] for s in states} == {new.pk}, "the history is moved too: undo keeps working"
    box = Box.objects.get(pk=made["id"])
    assert box.version == made["version"] + 1, "open pages holding the old version get a 409, not a silent overwrite"
    # Undo of the deleted box brings it back on the label that still exists.
    undo = client.post(f"/api/images/{image.pk}/undo/")
    assert undo.status_code == 200 and undo.json()["box"]["label"] == new.pk


def test_labels_are_listed_in_the_order_a_manager_sets(client_for, manager, annotator, project):
    from tests.factories import LabelFactory

    a, b, c = (LabelFactory(project=project, name=n) for n in ("a", "b", "c"))
    client = client_for(manager)
    ordered = client.post(f"/api/projects/{project.pk}/labels/order/", {"labels": [c.pk, a.pk, b.pk]}, format="json")
    assert ordered.status_code == 200 and [l["name"] for l in ordered.json()] == ["c", "a", "b"]
    listed = client_for(annotator).get(f"/api/projects/{project.pk}/labels/").json()["results"]
    assert [l["name"] for l in listed] == ["c", "a", "b"] and [l["position"] for l in listed] == [0, 1, 2]
    assert client.post(f"/api/projects/{project.pk}/labels/order/", {"labels": [c.pk, a.pk]}, format="json").status_code == 400
    assert client.post(f"/api/projects/{project.pk}/labels/order/", {"labels": "x"}, format="json").status_code == 400
    assert client_for(annotator).post(f"/api/projects/{project.pk}/labels/order/", {"labels": [a.pk, b.pk, c.pk]}, format="json").status_code == 403
