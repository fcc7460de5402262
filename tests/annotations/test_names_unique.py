"""Project names, and label names within a project, are unique ignoring case, held by the database."""

import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from annotations.models import Label, Project
from tests.factories import LabelFactory, ProjectFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("annotations.migrations.0005_names_unique_ignoring_case")


def test_a_label_name_differing_only_in_case_is_a_400_naming_the_field(client_for, manager, label):
    path = f"/api/projects/{label.project_id}/labels/"
    response = client_for(manager).post(path, {"name": "PERSON"}, format="json")
    assert response.status_code == 400
    assert response.json()["name"] == ["A label named 'PERSON' already exists in this project."]
    car = client_for(manager).post(path, {"name": "car"}, format="json").json()
    renamed = client_for(manager).patch(f"/api/labels/{car['id']}/", {"name": "Person"}, format="json")
    assert renamed.status_code == 400 and "name" in renamed.json()
    assert sorted(Label.objects.filter(project=label.project).values_list("name", flat=True)) == ["car", "person"]
    # A label may change the case of its own name.
    assert client_for(manager).patch(f"/api/labels/{label.pk}/", {"name": "Person"}, format="json").status_code == 200


def test_a_project_name_differing_only_in_case_is_a_400(client_for, manager, project):
    response = client_for(manager).post("/api/projects/", {"name": project.name.upper()}, format="json")
    assert response.status_code == 400 and response.json()["name"] == [
        f"A project named {project.name.upper()!r} already exists."
    ]
    other = client_for(manager).post("/api/projects/", {"name": "Other"}, format="json").json()
    renamed = client_for(manager).patch(f"/api/projects/{other['id']}/", {"name": project.name.lower()}, format="json")
    assert renamed.status_code == 400 and "name" in renamed.json()
    assert Project.objects.get(pk=other["id"]).name == "Other"
    assert Project.objects.filter(name__iexact=project.name).count() == 1


def test_the_database_itself_refuses_case_variants(project, label):
    with pytest.raises(IntegrityError), transaction.atomic():
        Label.objects.create(project=project, name="PeRsOn")
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.create(name=project.name.swapcase())
    LabelFactory(project=ProjectFactory(), name="PERSON")  # another project's label may share the name


def test_the_migration_names_existing_case_variants_instead_of_failing_obscurely():
    """Rows from before the constraints: the check lists them all with their ids."""
    with transaction.atomic():
        with connection.schema_editor() as editor:  # back to the state before the migration, rolled back below
            for model in (Project, Label):
                for constraint in model._meta.constraints:
                    if "ignoring_case" in constraint.name:
                        editor.remove_constraint(model, constraint)
        first, second = Project.objects.create(name="Street"), Project.objects.create(name="STREET")
        car, car_upper = Label.objects.create(project=first, name="car"), Label.objects.create(project=first, name="Car")
        Label.objects.create(project=second, name="car")  # same name in another project: fine
        with pytest.raises(migration.CaseVariantNames) as refused:
            migration.case_variants_refuse(apps, None)
        message = str(refused.value)
        assert f"projects 'Street' (id {first.pk}), 'STREET' (id {second.pk})" in message
        assert f"labels of project {first.pk}: 'car' (id {car.pk}), 'Car' (id {car_upper.pk})" in message
        assert message.count("labels of project") == 1 and "Rename" in message
        transaction.set_rollback(True)
    migration.case_variants_refuse(apps, None)  # nothing to report once they are gone
