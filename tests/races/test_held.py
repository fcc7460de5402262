"""Races that already held before the lock-order work, kept so they keep holding: PATCH storms with
versions, review against an edit, duplicate uploads, double detection requests."""

import io
import threading

import pytest

from annotations.models import Role
from annotations.services.review import image_submit
from inference.models import DetectionJob
from tests.factories import png_bytes
from tests.races.frames import boxes_of, frame_make, history_of, listed
from tests.races.harness import Answer, race, run_rounds

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS, PATCHES = 4, 5


def test_a_patch_storm_keeps_every_acknowledged_write_in_order():
    """4 members each PATCH one box 5 times with the version they last saw, all at once."""

    def one_round(index):
        frame = frame_make(roles=(Role.ANNOTATOR,) * CLIENTS)
        clients = frame.clients()
        body = {"label": frame.label.pk, "x_min": 0, "y_min": 10, "x_max": 300, "y_max": 100}
        box = clients[0].post(f"/api/images/{frame.image.pk}/boxes/", body, format="json").json()
        acknowledged, lock = [], threading.Lock()

        def storm(number, client):
            def run():
                statuses = []
                for step in range(PATCHES):
                    seen = client.get(f"/api/boxes/{box['id']}/").json()
                    x_min = number * 50 + step + 1
                    response = client.patch(f"/api/boxes/{box['id']}/", {"version": seen["version"], "x_min": x_min},
                                             format="json")  # fmt: skip
                    statuses.append(response.status_code)
                    if response.status_code == 200:
                        with lock:
                            acknowledged.append(response.json())
                return Answer(max(statuses), statuses)

            return run

        answers = race(*(storm(n, c) for n, c in enumerate(clients)))
        assert all(s in (200, 409) for a in answers for s in a.body), [a.body for a in answers]
        versions = sorted(a["version"] for a in acknowledged)
        assert versions == list(range(2, 2 + len(acknowledged)))  # gapless, none acknowledged twice
        updates = [e for e in history_of(clients[0], frame.image) if e["action"] == "update"]
        assert [(e["after"]["version"], e["after"]["x_min"]) for e in updates] == sorted(
            (a["version"], a["x_min"]) for a in acknowledged
        )
        (live,) = boxes_of(clients[0], frame.image)
        last = max(acknowledged, key=lambda a: a["version"])
        assert (live["version"], live["x_min"]) == (last["version"], last["x_min"])

    run_rounds("PATCH storm 4x5 with versions", one_round)


def test_review_racing_an_edit_never_lets_an_annotator_edit_land_after_the_approval():
    def one_round(_):
        frame = frame_make(roles=(Role.ANNOTATOR, Role.REVIEWER))
        annotator, reviewer = frame.clients()
        body = {"label": frame.label.pk, "x_min": 10, "y_min": 10, "x_max": 100, "y_max": 100}
        box = annotator.post(f"/api/images/{frame.image.pk}/boxes/", body, format="json").json()
        image_submit(image=frame.image, user=frame.users[0])
        edit, review = race(
            lambda: annotator.patch(f"/api/boxes/{box['id']}/", {"version": 1, "x_min": 50}, format="json"),
            lambda: reviewer.post(f"/api/images/{frame.image.pk}/review/", {"decision": "approve"}, format="json"),
        )
        assert review.status == 200 and edit.status in (200, 409)
        history = history_of(reviewer, frame.image)
        approved_at = next(e["id"] for e in history if e["action"] == "review")
        assert not [e for e in history if e["action"] == "update" and e["id"] > approved_at]
        (live,) = boxes_of(reviewer, frame.image)
        assert live["x_min"] == (50 if edit.status == 200 else 10)
        assert reviewer.get(f"/api/images/{frame.image.pk}/").json()["status"] == "approved"

    run_rounds("review vs edit", one_round)


def test_the_same_file_uploaded_twice_at_once_is_stored_once():
    def one_round(index):
        frame = frame_make(roles=(Role.MANAGER, Role.MANAGER))
        data = png_bytes(32, 24, color=(index % 256, 7, 9))

        def upload(client, name):
            stream = io.BytesIO(data)
            stream.name = name
            return lambda: client.post(f"/api/projects/{frame.project.pk}/images/", {"file": [stream]},
                                       format="multipart")  # fmt: skip

        first, second = frame.clients()
        answers = race(upload(first, "a.png"), upload(second, "b.png"))
        assert [a.status for a in answers] == [201, 201]
        assert sorted(len(a.body["images"]) for a in answers) == [0, 1]
        assert sorted(len(a.body["duplicates"]) for a in answers) == [0, 1]
        images = listed(first, f"/api/projects/{frame.project.pk}/images/")
        assert len(images) == 2  # the frame of the set-up and the uploaded one

    run_rounds("duplicate uploads", one_round)


def test_two_detect_requests_at_once_queue_one_job(settings):
    settings.INFERENCE_BACKEND = "memory"
    settings.INFERENCE_EXECUTION = "worker"  # queued for a worker that is not running: the job stays active

    def one_round(_):
        frame = frame_make(roles=(Role.ANNOTATOR, Role.ANNOTATOR))
        path = f"/api/images/{frame.image.pk}/detect/"
        clients = frame.clients()
        answers = race(*(lambda c=c: c.post(path, {"prompts": ["person"]}, format="json") for c in clients))
        assert sorted(a.status for a in answers) == [202, 409]
        queued = next(a for a in answers if a.status == 202).body
        refused = next(a for a in answers if a.status == 409).body
        assert refused["job"] == queued["id"]
        job = clients[0].get(f"/api/jobs/{queued['id']}/").json()
        assert job["status"] == "queued"
        assert DetectionJob.objects.filter(image=frame.image).count() == 1

    run_rounds("double detect", one_round)
