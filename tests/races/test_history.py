"""Undo racing the same user's own edit (two tabs, or a click and a keystroke): the undo reverts
the latest acknowledged change, never an older one under it."""

import pytest

from tests.races.frames import boxes_of, frame_make, history_of
from tests.races.harness import api_client, race, run_rounds

pytestmark = pytest.mark.django_db(transaction=True)


def test_undo_racing_the_users_own_patch_never_loses_the_patch():
    def one_round(_):
        frame = frame_make(roles=("annotator",))
        tab_a, tab_b = api_client(frame.users[0]), api_client(frame.users[0])
        body = {"label": frame.label.pk, "x_min": 10, "y_min": 10, "x_max": 200, "y_max": 100}
        box = tab_a.post(f"/api/images/{frame.image.pk}/boxes/", body, format="json").json()
        moved = tab_a.patch(f"/api/boxes/{box['id']}/", {"version": 1, "x_min": 40}, format="json")
        assert moved.status_code == 200 and moved.json()["version"] == 2

        patch, undo = race(
            lambda: tab_a.patch(f"/api/boxes/{box['id']}/", {"version": 2, "x_min": 90}, format="json"),
            lambda: tab_b.post(f"/api/images/{frame.image.pk}/undo/"),
        )
        assert undo.status == 200 and patch.status in (200, 409)
        (live,) = boxes_of(tab_a, frame.image)
        if patch.status == 200:  # the edit came first: the undo took it back, to x=40
            assert undo.body["target"]["after"]["x_min"] == 90 and live["x_min"] == 40
        else:  # the undo came first (40 -> 10): the edit saw a stale version
            assert undo.body["target"]["after"]["x_min"] == 40 and live["x_min"] == 10
            assert patch.body["current"]["x_min"] == 10
        # The next undo reverts the next most recent change still standing, in order.
        after = tab_b.post(f"/api/images/{frame.image.pk}/undo/")
        assert after.status_code == 200, after.content
        if patch.status == 200:
            assert after.json()["target"]["after"]["x_min"] == 40 and after.json()["box"]["x_min"] == 10
        else:
            assert after.json()["target"]["action"] == "create" and after.json()["box"]["deleted"] is True
        history = history_of(tab_a, frame.image)
        updates = [e for e in history if e["action"] == "update"]
        undos = [e for e in history if e["action"] == "undo"]
        # Each undo reverts the newest change not yet undone at the time it ran.
        assert [u["reverts"] for u in undos] == sorted((e["id"] for e in history if e["undone"]), reverse=True)
        assert len(updates) == (2 if patch.status == 200 else 1)
        versions = [e["after"]["version"] for e in history if e["box"] == box["id"]]
        assert versions == list(range(1, len(versions) + 1))  # gapless: no change skipped a version

    run_rounds("undo vs own PATCH", one_round)
