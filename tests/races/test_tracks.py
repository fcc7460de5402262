"""Track numbers allocated at the same instant, and two people editing one track's keyframes at once."""

import pytest

from annotations.models import Box, Role
from tests.races.frames import frame_make, listed
from tests.races.harness import race, run_rounds

pytestmark = pytest.mark.django_db(transaction=True)


def test_tracks_created_at_once_get_distinct_consecutive_numbers():
    def one_round(_):
        frame = frame_make(roles=(Role.ANNOTATOR, Role.ANNOTATOR))
        path = f"/api/projects/{frame.project.pk}/tracks/"
        first, second = frame.clients()
        answers = race(lambda: first.post(path, {"label": frame.label.pk}, format="json"),
                       lambda: second.post(path, {"label": frame.label.pk}, format="json"))  # fmt: skip
        assert [a.status for a in answers] == [201, 201]
        assert sorted(track["number"] for track in listed(first, path)) == [1, 2]

    run_rounds("track numbers", one_round)


def test_two_boxes_joining_one_track_on_one_frame_at_once_leave_one():
    def one_round(_):
        frame = frame_make(roles=(Role.ANNOTATOR, Role.ANNOTATOR))
        first, second = frame.clients()
        track = first.post(f"/api/projects/{frame.project.pk}/tracks/", {"label": frame.label.pk}, format="json").json()
        path = f"/api/images/{frame.image.pk}/boxes/"
        body = {"track": track["id"], "x_min": 1, "y_min": 1, "x_max": 20, "y_max": 20}
        answers = race(lambda: first.post(path, body, format="json"), lambda: second.post(path, body, format="json"))
        assert sorted(a.status for a in answers) == [201, 409]
        assert Box.objects.filter(track_id=track["id"], deleted=False).count() == 1

    run_rounds("one box per track per frame", one_round)
