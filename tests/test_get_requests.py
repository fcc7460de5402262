"""No GET request writes: every page and API read leaves the database as it found it.

Repairs (reaping jobs whose worker died), MLflow bookkeeping and closing annotation sessions are
periodic work of the job-running process (`inference.periodic`), never a side effect of a read.
One read does write outside the database, by design, and is left to its own issue: `file/?thumb=`
stores the thumbnail it made. (`next/` reserves a frame only on POST; its GET reserves nothing.)
"""

from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.evaluation.models import Evaluation
from inference.detectors import get_detector
from inference.models import DetectionJob
from inference.services import job_run, job_submit
from tests.factories import ImageFactory, LabelFactory

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def busy_project(project, manager, annotator, settings, client_for):
    """A project with boxes, a rating, history, a finished job with predictions and a stale one."""
    settings.INFERENCE_BACKEND = "memory"
    settings.INFERENCE_JOB_STALE_SECONDS = 60
    get_detector.cache_clear()
    LabelFactory(project=project, name="person")
    done_frame, stale_frame = ImageFactory(project=project, frame_index=0), ImageFactory(project=project, frame_index=1)
    api = client_for(annotator)
    box = api.post(f"/api/images/{done_frame.pk}/boxes/", {"label": project.labels.get().pk, "x_min": 1, "y_min": 1,
                                                           "x_max": 9, "y_max": 9}, format="json").json()
    api.put(f"/api/images/{done_frame.pk}/feedback/", {"rating": 1}, format="json")
    done = job_run(job_id=job_submit(image=done_frame, user=annotator, prompts="person").pk)
    stale = job_submit(image=stale_frame, user=annotator, prompts="person")
    DetectionJob.objects.filter(pk=stale.pk).update(
        status="running", attempts=1, heartbeat_at=timezone.now() - timedelta(seconds=600)
    )
    evaluation = Evaluation.objects.create(project=project, backend="memory", prompts=["person"], created_by=manager)
    yield {"project": project, "frame": done_frame, "box": box["id"], "job": done.pk, "stale_job": stale.pk,
           "label": project.labels.get().pk, "evaluation": evaluation.pk}
    get_detector.cache_clear()


def snapshot() -> dict:
    """Every row of every table the apps own, plus users and sessions."""
    models = [m for app in ("annotations", "inference", "feedback", "auth", "sessions", "authtoken")
              for m in apps.get_app_config(app).get_models()]
    return {m._meta.label: sorted(map(repr, m.objects.values_list())) for m in models}


def test_no_get_request_writes_a_row(busy_project, manager):
    ids = busy_project
    p, f = ids["project"].pk, ids["frame"].pk
    paths = [
        "/api/projects/", f"/api/projects/{p}/", f"/api/projects/{p}/members/", f"/api/projects/{p}/labels/",
        f"/api/labels/{ids['label']}/", f"/api/projects/{p}/images/", f"/api/images/{f}/", f"/api/images/{f}/file/",
        f"/api/images/{f}/boxes/", f"/api/boxes/{ids['box']}/", f"/api/images/{f}/history/",
        f"/api/projects/{p}/review-queue/", f"/api/projects/{p}/datasets/", f"/api/jobs/{ids['job']}/",
        f"/api/jobs/{ids['stale_job']}/", f"/api/images/{f}/predictions/", "/api/inference/status/",
        f"/api/images/{f}/feedback/", f"/api/projects/{p}/metrics/", f"/api/projects/{p}/next/",
        f"/api/projects/{p}/evaluations/", f"/api/evaluations/{ids['evaluation']}/", f"/api/projects/{p}/thresholds/",
        "/api/schema/", "/api/docs/",
        "/", f"/projects/{p}/", f"/images/{f}/", f"/projects/{p}/dashboard/", "/accounts/password_change/",
    ]
    client = Client()
    client.force_login(manager)  # the session row is written here, before the reads
    before = snapshot()
    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]
        assert writes == [], path
    after = snapshot()
    assert after == before
    assert DetectionJob.objects.get(pk=ids["stale_job"]).status == "running"  # only periodic work repairs it
