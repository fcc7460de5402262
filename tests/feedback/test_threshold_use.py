"""Confidence thresholds in use: a manager turns on the thresholds learnt from the team's decisions;
AI boxes below their label's threshold are kept but no longer offered for review (accept-all and
reject-all leave them alone, the annotate page hides them), and the dashboard measures the review
work before and after."""

import datetime as dt

import pytest
from django.utils import timezone

from inference.models import DetectorConfig, Prediction
from tests.factories import ImageFactory, LabelFactory
from tracking.models import TrackingOutbox

pytestmark = pytest.mark.django_db
BOX = (1, 1, 20, 20)


@pytest.fixture
def decided(project, rows, settings):
    """Last week, people kept the person boxes scored 0.9, 0.8, 0.7 and rejected those at 0.3, 0.2, 0.1;
    nobody decided a car box, so `car` gets no threshold."""
    settings.MLFLOW_TRACKING_URI = "http://127.0.0.1:9"
    person, car = LabelFactory(project=project, name="person"), LabelFactory(project=project, name="car")
    week_ago = timezone.now() - dt.timedelta(days=7)
    frames = rows.frames(3)
    for frame, (good, bad) in zip(frames, [(0.9, 0.3), (0.8, 0.2), (0.7, 0.1)]):
        job = rows.job(frame, ["person"], when=week_ago)
        rows.pred(job, person, BOX, score=good, status="accepted")
        rows.pred(job, person, BOX, score=bad, status="rejected")
    return {"person": person, "car": car}


def test_a_manager_turns_thresholds_on_and_low_confidence_boxes_are_kept_but_not_offered(
    project, manager, annotator, decided, rows, client_for
):
    response = client_for(manager).put(f"/api/projects/{project.pk}/thresholds/", {"enabled": True}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["enabled"] is True and body["thresholds"] == {"person": 0.7}
    assert body["learned"]["car"]["threshold"] is None and "no decided AI boxes" in body["learned"]["car"]["reason"]
    assert TrackingOutbox.objects.filter(kind="thresholds").count() == 1  # learnt now, logged to MLflow
    config = client_for(annotator).get(f"/api/inference/status/?project={project.pk}").json()["project_config"]
    assert config["thresholds_enabled"] is True and config["thresholds"] == {"person": 0.7}

    frame = ImageFactory(project=project, width=200, height=100)
    job = rows.job(frame, ["person", "car"])
    shown = rows.pred(job, decided["person"], BOX, score=0.95)
    hidden = rows.pred(job, decided["person"], BOX, score=0.4)
    unscored_label = rows.pred(job, decided["car"], BOX, score=0.05)  # car has no threshold: shown
    listed = client_for(annotator).get(f"/api/images/{frame.pk}/predictions/").json()["results"]
    assert {p["id"] for p in listed} == {shown.pk, hidden.pk, unscored_label.pk}  # all kept, the page hides one

    accepted = client_for(annotator).post(f"/api/images/{frame.pk}/predictions/accept-all/", {}, format="json").json()
    assert {item["prediction"]["id"] for item in accepted["accepted"]} == {shown.pk, unscored_label.pk}
    rejected = client_for(annotator).post(f"/api/images/{frame.pk}/predictions/reject-all/", {}, format="json").json()
    assert rejected["rejected"] == []
    assert Prediction.objects.get(pk=hidden.pk).status == "pending"

    effect = client_for(annotator).get(f"/api/projects/{project.pk}/thresholds/").json()
    assert effect["before"] == {"frames": 3, "predictions": 6, "rejected": 3, "kept": 3, "rejected_per_frame": 1.0,
                                "acceptance_rate": 0.5, "seconds_per_frame": None}  # nobody worked on those frames
    seconds_after = effect["after"].pop("seconds_per_frame")
    assert seconds_after is not None and 0 <= seconds_after < 60  # the two requests above, moments apart
    assert effect["after"] == {"frames": 1, "predictions": 3, "rejected": 0, "kept": 2, "rejected_per_frame": 0.0,
                               "acceptance_rate": 1.0, "hidden": 1, "hidden_per_frame": 1.0}

    off = client_for(manager).put(f"/api/projects/{project.pk}/thresholds/", {"enabled": False}, format="json").json()
    assert off["enabled"] is False and off["after"] is None and off["before"]["predictions"] == 9
    rejected = client_for(annotator).post(f"/api/images/{frame.pk}/predictions/reject-all/", {}, format="json").json()
    assert [p["id"] for p in rejected["rejected"]] == [hidden.pk]  # off: offered again
    assert list(DetectorConfig.objects.filter(project=project).order_by("id").values_list(
        "thresholds_enabled", flat=True)) == [True, False]  # the project's configuration history


def test_nothing_to_learn_is_a_400_saying_why_and_changes_nothing(project, manager, client_for, settings):
    settings.MLFLOW_TRACKING_URI = "http://127.0.0.1:9"
    LabelFactory(project=project, name="person")
    response = client_for(manager).put(f"/api/projects/{project.pk}/thresholds/", {"enabled": True}, format="json")
    assert response.status_code == 400 and "person: no decided AI boxes yet" in response.json()["detail"]
    bad = client_for(manager).put(f"/api/projects/{project.pk}/thresholds/", {"enabled": True, "target": 2},
                                  format="json")
    assert bad.status_code == 400 and "target" in bad.json()
    assert not DetectorConfig.objects.exists() and not TrackingOutbox.objects.filter(kind="thresholds").exists()


def test_the_effect_reads_in_a_bounded_number_of_queries(project, annotator, decided, client_for,
                                                         django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        body = client_for(annotator).get(f"/api/projects/{project.pk}/thresholds/").json()
    assert body["enabled"] is False and body["before"]["rejected"] == 3 and body["after"] is None


def test_seconds_per_ai_assisted_frame_are_split_at_the_moment_thresholds_were_turned_on(
    project, manager, annotator, decided, rows, client_for
):
    """The dashboard's effort measure (active seconds per frame, idle gaps left out) before and after."""
    assert client_for(manager).put(f"/api/projects/{project.pk}/thresholds/", {"enabled": True},
                                   format="json").status_code == 200
    since = DetectorConfig.objects.get(project=project).created_at
    before_frame, after_frame, manual_frame = rows.frames(3, start=10)
    rows.job(before_frame, ["person"], when=since - dt.timedelta(hours=2))
    rows.events(before_frame, annotator, [0, 10, 30], start=since - dt.timedelta(hours=2))  # 30 s of work
    rows.events(before_frame, annotator, [0, 12], start=since - dt.timedelta(hours=1))  # and 12 s more, later
    rows.job(after_frame, ["person"], when=since + dt.timedelta(seconds=1))
    rows.events(after_frame, annotator, [0, 4, 8], start=since + dt.timedelta(seconds=2))  # 8 s
    rows.events(manual_frame, annotator, [0, 50], start=since + dt.timedelta(seconds=2))  # no AI: not counted

    effect = client_for(annotator).get(f"/api/projects/{project.pk}/thresholds/").json()
    assert effect["before"]["seconds_per_frame"] == pytest.approx(42)
    assert effect["after"]["seconds_per_frame"] == pytest.approx(8)
