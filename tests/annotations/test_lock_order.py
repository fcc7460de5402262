"""The one lock order (annotations/services/locking.py): every frame writer locks the frame row
first, in one mode; lock conflicts that still happen are retried once, then a 409, never a 500."""

import re

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from annotations.api.errors import exception_handler
from annotations.services import history
from annotations.services.boxes import box_create, box_delete, box_update
from annotations.services.locking import FrameBusy, frame_write, is_lock_conflict
from annotations.services.review import image_review, image_submit
from inference.models import DetectionJob, JobStatus, Prediction
from inference.services import prediction_accept, prediction_reject, predictions_accept_all, predictions_reject_all

FRAME_ROW = re.compile(r'FROM "?annotations_image"?\s')
LOCK_OF = re.compile(r' FOR ([A-Z ]+?)(?: OF (.+))?$')


def _frame_lock_mode(sql: str) -> str | None:
    """The mode in which a statement locks frame rows, None if it locks none: `SELECT … FROM image
    … FOR <mode>`, or a read joining the frame that locks only it, `… FOR <mode> OF image`."""
    found = LOCK_OF.search(sql)
    if found is None:
        return None
    mode, of = found.groups()
    if of is None:
        return mode if FRAME_ROW.search(sql) else None
    return mode if '"annotations_image"' in of.split(", ") else None


def _raise(sqlstate: str) -> None:
    """Have PostgreSQL itself fail the statement with this SQLSTATE (what a real deadlock raises)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DO $$ BEGIN RAISE EXCEPTION 'lost a race' USING ERRCODE = '{sqlstate}'; END $$")


def _locks(queries) -> list[str]:
    return [q["sql"] for q in queries if " FOR " in q["sql"]]


def _predictions(image, label, n=2):
    job = DetectionJob.objects.create(image=image, prompts=["person"], status=JobStatus.DONE)
    return [Prediction.objects.create(job=job, image=image, label=label, prompt="person", rank=r,
                                      x_min=1 + r, y_min=1, x_max=20, y_max=20) for r in range(n)]  # fmt: skip


@pytest.mark.django_db
def test_every_frame_writer_locks_the_frame_row_first_and_only_for_no_key_update(image, label, annotator, reviewer):
    box = box_create(image=image, user=annotator, label=label, x_min=1, y_min=1, x_max=9, y_max=9)
    accept, reject, *more = _predictions(image, label, 4)
    writes = {
        "box_create": lambda: box_create(image=image, user=annotator, label=label, x_min=2, y_min=2, x_max=9, y_max=9),
        "box_update": lambda: box_update(box=box, user=annotator, version=1, x_max=12),
        "undo": lambda: history.history_undo(image=image, user=annotator),
        "redo": lambda: history.history_redo(image=image, user=annotator),
        "box_delete": lambda: box_delete(box=box, user=annotator, version=4),
        "accept": lambda: prediction_accept(prediction=accept, user=annotator),
        "reject": lambda: prediction_reject(prediction=reject, user=annotator),
        "accept_all": lambda: predictions_accept_all(image=image, user=annotator),
        "reject_all": lambda: predictions_reject_all(image=image, user=annotator),
        "submit": lambda: image_submit(image=image, user=annotator),
        "review": lambda: image_review(image=image, user=reviewer, decision="approve"),
    }
    for name, write in writes.items():
        with CaptureQueriesContext(connection) as queries:
            write()
        locks = _locks(queries)
        assert locks and _frame_lock_mode(locks[0]) == "NO KEY UPDATE", (name, locks)
        frame_modes = {_frame_lock_mode(sql) for sql in locks} - {None}
        assert frame_modes == {"NO KEY UPDATE"}, (name, frame_modes)
    assert Prediction.objects.filter(status="pending").count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_is_retried_once_then_answered_as_frame_busy():
    calls = []

    @frame_write
    def loses_once():
        calls.append(1)
        if len(calls) == 1:
            _raise("40P01")
        return "done"

    assert loses_once() == "done" and len(calls) == 2

    @frame_write
    def always_loses():
        calls.append(1)
        _raise("40001")  # a serialization failure counts the same

    calls.clear()
    with pytest.raises(FrameBusy) as busy:
        always_loses()
    assert len(calls) == 2 and busy.value.status_code == 409
    assert busy.value.detail == "The frame changed while you were working; try again."

    @frame_write
    def other_error():
        calls.append(1)
        _raise("57014")  # query_canceled: not a lost race, not retried, not hidden

    calls.clear()
    with pytest.raises(OperationalError):
        other_error()
    assert len(calls) == 1


@pytest.mark.django_db
def test_inside_a_callers_transaction_there_is_no_retry_the_caller_owns_it():
    calls = []

    @frame_write
    def loses():
        calls.append(1)
        _raise("40P01")

    with pytest.raises(OperationalError) as raised, transaction.atomic():
        loses()
    assert len(calls) == 1 and is_lock_conflict(raised.value)


@pytest.mark.django_db
def test_a_lock_conflict_escaping_a_service_is_a_409_json_answer_not_a_500():
    try:
        with transaction.atomic():
            _raise("40P01")
    except OperationalError as exc:
        error = exc
    response = exception_handler(error, {})
    assert response.status_code == 409
    assert response.data == {"detail": "The frame changed while you were working; try again."}


@pytest.mark.django_db
def test_accept_all_leaves_out_what_was_decided_before_it_and_accepts_the_rest(client_for, image, label, annotator):
    first, second, third = _predictions(image, label, 3)
    client = client_for(annotator)
    assert client.post(f"/api/predictions/{second.pk}/reject/").status_code == 200
    assert client.post(f"/api/predictions/{first.pk}/accept/", {}, format="json").status_code == 200
    response = client.post(f"/api/images/{image.pk}/predictions/accept-all/")
    assert response.status_code == 200
    assert [item["prediction"]["id"] for item in response.json()["accepted"]] == [third.pk]
    assert dict(Prediction.objects.values_list("pk", "status")) == {
        first.pk: "accepted", second.pk: "rejected", third.pk: "accepted"
    }

