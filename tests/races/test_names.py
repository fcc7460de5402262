"""Names that must stay unique case-insensitively, created or renamed at the same instant."""

import uuid

import pytest

from annotations.models import Role
from tests.races.frames import frame_make, listed
from tests.races.harness import race, run_rounds

pytestmark = pytest.mark.django_db(transaction=True)


def _one_created(answers):
    assert sorted(a.status for a in answers) == [201, 400]
    refused = next(a for a in answers if a.status == 400)
    assert "already exists" in refused.body["detail"] and "name" in refused.body


def test_case_variant_label_names_created_at_once_make_one_label():
    def one_round(_):
        frame = frame_make(roles=(Role.MANAGER, Role.MANAGER))
        path = f"/api/projects/{frame.project.pk}/labels/"
        first, second = frame.clients()
        answers = race(lambda: first.post(path, {"name": "CaseX"}, format="json"),
                       lambda: second.post(path, {"name": "casex"}, format="json"))  # fmt: skip
        _one_created(answers)
        names = [label["name"] for label in listed(first, path)]
        assert sorted(n.lower() for n in names) == ["casex", "person"]

    run_rounds("label names CaseX vs casex", one_round)


def test_case_variant_label_renames_at_once_leave_the_names_distinct():
    def one_round(_):
        frame = frame_make(roles=(Role.MANAGER, Role.MANAGER))
        path = f"/api/projects/{frame.project.pk}/labels/"
        first, second = frame.clients()
        a = first.post(path, {"name": "a"}, format="json").json()
        b = first.post(path, {"name": "b"}, format="json").json()
        answers = race(lambda: first.patch(f"/api/labels/{a['id']}/", {"name": "Same"}, format="json"),
                       lambda: second.patch(f"/api/labels/{b['id']}/", {"name": "SAME"}, format="json"))  # fmt: skip
        assert sorted(x.status for x in answers) == [200, 400]
        names = sorted(label["name"].lower() for label in listed(first, path))
        assert names.count("same") == 1 and len(names) == 3

    run_rounds("label renames Same vs SAME", one_round)


def test_case_variant_project_names_created_at_once_make_one_project():
    def one_round(_):
        frame = frame_make(roles=(Role.MANAGER, Role.MANAGER))
        name = f"CaseX {uuid.uuid4().hex[:8]}"
        first, second = frame.clients()
        answers = race(lambda: first.post("/api/projects/", {"name": name}, format="json"),
                       lambda: second.post("/api/projects/", {"name": name.lower()}, format="json"))  # fmt: skip
        _one_created(answers)
        created = next(a for a in answers if a.status == 201)
        creator = first if created is answers[0] else second
        found = listed(creator, "/api/projects/", name=name.split()[1])
        assert [p["id"] for p in found] == [created.body["id"]] and found[0]["role"] == "manager"
        other = second if creator is first else first
        assert listed(other, "/api/projects/", name=name.split()[1]) == []  # the loser got no project

    run_rounds("project names CaseX vs casex", one_round)
