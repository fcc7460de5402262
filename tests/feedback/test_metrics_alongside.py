"""Outside a transaction the SQL counting runs on a second connection while matching runs here;
the figures must be exactly those of the one-connection path."""

import threading

import pytest
from django.db import transaction

import feedback.selectors as selectors
from annotations.models import FrameFeedback
from feedback.selectors import metrics_for_project


@pytest.mark.django_db(transaction=True)
def test_counting_on_a_second_connection_gives_the_same_metrics(rows, project, label, annotator, monkeypatch):
    frames = rows.frames(6, status="approved")
    for i, frame in enumerate(frames):
        job = rows.job(frame, ["person"])
        rows.pred(job, label, (0, 0, 100, 100), status="accepted" if i % 2 else "rejected")
        rows.pred(job, label, (300, 300, 340, 360), score=0.4)
        rows.box(frame, label, (0, 0, 100 + i, 100))
        rows.events(frame, annotator, [0, 4, 9 + i])
        FrameFeedback.objects.create(image=frame, user=annotator, rating=(-1, 0, 1)[i % 3])

    threads = []
    counted_by = selectors._counts_fetch

    def recording(scope):
        threads.append(threading.get_ident())
        return counted_by(scope)

    monkeypatch.setattr(selectors, "_counts_fetch", recording)
    alongside = metrics_for_project(project=project)
    with transaction.atomic():
        inline = metrics_for_project(project=project)

    assert threads[0] != threading.get_ident(), "outside a transaction the counting runs on another thread"
    assert threads[1] == threading.get_ident(), "inside one it runs here, where the uncommitted rows are visible"
    assert alongside == inline
    assert alongside["progress"]["frames_approved"] == 6 and alongside["ratings"]["count"] == 6
    assert alongside["decisions"]["accepted"] == 3
