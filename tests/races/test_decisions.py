"""Decisions on AI boxes racing each other on one frame: never a 500, every AI box decided once."""

import pytest

from tests.races.frames import boxes_of, frame_make, history_of, predictions_of
from tests.races.harness import race, run_rounds

pytestmark = pytest.mark.django_db(transaction=True)


def _accept(client, prediction):
    return lambda: client.post(f"/api/predictions/{prediction.pk}/accept/", {}, format="json")


def _all(client, image, what):
    return lambda: client.post(f"/api/images/{image.pk}/predictions/{what}-all/")


def _assert_decided_once(client, frame, *, accepted_ids):
    """Every AI box is decided; exactly one live box and one `accept` event per accepted one."""
    predictions = predictions_of(client, frame.image)
    assert all(p["status"] != "pending" for p in predictions.values()), predictions
    assert {pk for pk, p in predictions.items() if p["status"] == "accepted"} == set(accepted_ids)
    boxes = boxes_of(client, frame.image)
    assert sorted(b["prediction"] for b in boxes) == sorted(accepted_ids)
    history = history_of(client, frame.image)
    accepts = [e for e in history if e["action"] == "accept"]
    assert sorted(e["box"] for e in accepts) == sorted(b["id"] for b in boxes)
    rejects = [e["after"]["prediction"] for e in history if e["action"] == "reject"]
    assert sorted(rejects) == sorted(pk for pk, p in predictions.items() if p["status"] == "rejected")
    return predictions, history


def test_accept_all_racing_a_single_accept_of_one_of_its_boxes():
    """Accept-all answers 200 and skips what the single accept took; the single accept wins or gets 409."""

    def one_round(_):
        frame = frame_make(predictions=3)
        everyone, one = frame.clients()
        target = frame.predictions[1]
        all_answer, one_answer = race(_all(everyone, frame.image, "accept"), _accept(one, target))
        assert all_answer.status == 200 and one_answer.status in (200, 409)
        taken = {item["prediction"]["id"] for item in all_answer.body["accepted"]}
        if one_answer.status == 200:
            assert target.pk not in taken
        else:
            assert one_answer.body["prediction"]["status"] == "accepted" and target.pk in taken
        predictions, _ = _assert_decided_once(everyone, frame, accepted_ids=[p.pk for p in frame.predictions])
        assert predictions[target.pk]["decided_by"] == (frame.users[1] if one_answer.status == 200 else frame.users[0]).pk

    run_rounds("accept-all vs accept", one_round)


def test_two_accept_alls_on_one_frame_share_the_boxes_out():
    def one_round(_):
        frame = frame_make(predictions=3)
        first, second = frame.clients()
        answers = race(_all(first, frame.image, "accept"), _all(second, frame.image, "accept"))
        assert [a.status for a in answers] == [200, 200]
        taken = [item["prediction"]["id"] for a in answers for item in a.body["accepted"]]
        assert sorted(taken) == sorted(p.pk for p in frame.predictions)
        _assert_decided_once(first, frame, accepted_ids=taken)

    run_rounds("accept-all vs accept-all", one_round)


def test_reject_all_racing_a_single_accept():
    def one_round(_):
        frame = frame_make(predictions=3)
        everyone, one = frame.clients()
        target = frame.predictions[0]
        all_answer, one_answer = race(_all(everyone, frame.image, "reject"), _accept(one, target))
        assert all_answer.status == 200 and one_answer.status in (200, 409)
        rejected = {p["id"] for p in all_answer.body["rejected"]}
        assert (target.pk in rejected) == (one_answer.status == 409)
        _assert_decided_once(everyone, frame, accepted_ids=[target.pk] if one_answer.status == 200 else [])

    run_rounds("reject-all vs accept", one_round)


def test_two_accepts_of_one_ai_box_make_one_box_and_a_409():
    def one_round(_):
        frame = frame_make(predictions=1)
        target = frame.predictions[0]
        first, second = frame.clients()
        answers = race(_accept(first, target), _accept(second, target))
        assert sorted(a.status for a in answers) == [200, 409]
        winner = next(a for a in answers if a.status == 200)
        loser = next(a for a in answers if a.status == 409)
        assert loser.body["prediction"]["status"] == "accepted"
        assert loser.body["prediction"]["decided_by"] == winner.body["prediction"]["decided_by"]
        _assert_decided_once(first, frame, accepted_ids=[target.pk])

    run_rounds("accept vs accept", one_round)
