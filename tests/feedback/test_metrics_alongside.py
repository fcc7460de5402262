"""Outside a transaction the SQL counting runs on a second connection while matching runs here;
the figures must be exactly those of the one-connection path. Read from the database, nothing
patched: which PostgreSQL backend ran a query, and how many queries this connection ran."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from annotations.models import FrameFeedback
from feedback.parallel import alongside
from feedback.selectors import metrics_for_project


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_alongside_runs_on_another_connection_outside_a_transaction_and_on_this_one_inside():
    here = _backend_pid()
    assert alongside(_backend_pid).result() != here
    with transaction.atomic():
        assert alongside(_backend_pid).result() == here  # where the uncommitted rows are visible


@pytest.mark.django_db(transaction=True)
def test_counting_on_a_second_connection_gives_the_same_metrics(rows, project, label, annotator):
    frames = rows.frames(6, status="approved")
    for i, frame in enumerate(frames):
        job = rows.job(frame, ["person"])
        rows.pred(job, label, (0, 0, 100, 100), status="accepted" if i % 2 else "rejected")
        rows.pred(job, label, (300, 300, 340, 360), score=0.4)
        rows.box(frame, label, (0, 0, 100 + i, 100))
        rows.events(frame, annotator, [0, 4, 9 + i])
        FrameFeedback.objects.create(image=frame, user=annotator, rating=(-1, 0, 1)[i % 3])

    with CaptureQueriesContext(connection) as on_this_connection:
        counted_alongside = metrics_for_project(project=project)
    with transaction.atomic(), CaptureQueriesContext(connection) as in_a_transaction:
        counted_inline = metrics_for_project(project=project)

    # The counting queries ran on this connection only inside the transaction.
    assert len(on_this_connection.captured_queries) < len(in_a_transaction.captured_queries)
    assert counted_alongside == counted_inline
    assert counted_alongside["progress"]["frames_approved"] == 6 and counted_alongside["ratings"]["count"] == 6
    assert counted_alongside["decisions"]["accepted"] == 3
