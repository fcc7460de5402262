"""`metrics_for_project` on a hand-built project whose every figure is worked out in the comments.

Frames (640x480), labels person and car:
- f0 approved, job r1 asked [person, car]:
    P1 person [0,0,100,100] .9 accepted -> B1 same box        (match, IoU 1)
    P2 person [200,200,300,300] .8 rejected                    (false positive)
    P3 car [0,0,100,100] .7 corrected -> B3 [0,0,100,200]     (match, IoU 10000/20000 = 0.5)
    H1 person [400,400,500,450] drawn by hand                  (false negative)
- f1 rejected, job r2 asked [person]:
    P4 person [10,10,60,60] .6 pending; H2 person [10,10,60,70] (IoU 2500/3000 = 0.833, match)
    H3 car [0,0,50,50]: car was not asked on f1, so it is not held against the model.
- f2 in progress, job r1 [person]: P5 pending, nobody reviewed it -> not ground truth.
- f3 new, no job; H4 person drawn by hand (a manual frame).
Overall on the reviewed frames f0 and f1: tp 3 (P1, P3, P4), fp 1 (P2), fn 1 (H1):
precision 3/4, recall 3/4, F1 3/4.
"""

import datetime as dt

import pytest

from feedback.selectors import metrics_for_project
from tests.factories import LabelFactory

DAY = dt.datetime(2026, 1, 10, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(rows, label, annotator, reviewer):
    person = label
    car = LabelFactory(project=rows.project, name="car")
    f0, f1, f2, f3 = rows.frames(4)
    for frame, status in ((f0, "approved"), (f1, "rejected"), (f2, "in_progress")):
        frame.status = status
        frame.save(update_fields=["status"])
    j0 = rows.job(f0, ["person", "car"], revision="r1", when=DAY - dt.timedelta(days=2))
    p1 = rows.pred(j0, person, (0, 0, 100, 100), score=0.9, status="accepted")
    rows.pred(j0, person, (200, 200, 300, 300), score=0.8, status="rejected")
    p3 = rows.pred(j0, car, (0, 0, 100, 100), score=0.7, status="corrected")
    rows.box(f0, person, (0, 0, 100, 100), prediction=p1)
    rows.box(f0, car, (0, 0, 100, 200), prediction=p3)
    rows.box(f0, person, (400, 400, 500, 450))
    j1 = rows.job(f1, ["person"], revision="r2", when=DAY)
    rows.pred(j1, person, (10, 10, 60, 60), score=0.6)
    rows.box(f1, person, (10, 10, 60, 70))
    rows.box(f1, car, (0, 0, 50, 50))
    j2 = rows.job(f2, ["person"], revision="r1", when=DAY)
    rows.pred(j2, person, (0, 0, 10, 10), score=0.5)
    rows.box(f3, person, (1, 1, 20, 20))
    # Effort. anna on f0: 0, 30, 60 s -> 60 s; on f1: 0 and 500 s -> 0 s (the gap is idle time).
    # rita on f0: 0, 10 s -> 10 s. anna on f3 (manual): 0, 45, 90 s -> 90 s.
    rows.events(f0, annotator, [0, 30, 60], start=DAY)
    rows.events(f1, annotator, [0, 500], start=DAY)
    rows.events(f0, reviewer, [0, 10], start=DAY)
    rows.events(f3, annotator, [0, 45, 90], start=DAY + dt.timedelta(days=1))
    rows.events(f0, reviewer, [0], start=DAY + dt.timedelta(days=2), action="review")
    rows.rate(f0, annotator, 1)
    rows.rate(f0, reviewer, -1)
    rows.rate(f1, annotator, 1)
    return {"person": person, "car": car, "frames": (f0, f1, f2, f3)}


def test_precision_recall_and_f1_on_reviewed_frames(world, project):
    result = metrics_for_project(project=project)
    assert result["ground_truth"] == "reviewed"
    det = result["detection"]
    assert (det["tp"], det["fp"], det["fn"], det["frames_evaluated"]) == (3, 1, 1, 2)
    assert det["precision"] == det["recall"] == det["f1"] == pytest.approx(0.75)


def test_decisions_corrections_ratings_and_progress(world, project):
    result = metrics_for_project(project=project)
    # Five predictions: P1 accepted, P2 rejected, P3 corrected, P4 and P5 pending -> 1/3 each over 3 decided.
    decisions = result["decisions"]
    assert (decisions["predictions"], decisions["decided"], decisions["pending"]) == (5, 3, 2)
    assert decisions["acceptance_rate"] == decisions["correction_rate"] == decisions["rejection_rate"] == 1 / 3
    assert result["corrections"] == {"count": 1, "mean_iou": 0.5}
    # Ratings +1, -1, +1: mean 1/3.
    assert result["ratings"] == {"positive": 2, "neutral": 0, "negative": 1, "count": 3, "mean": pytest.approx(1 / 3)}
    progress = result["progress"]
    assert progress["frames_total"] == 4 and progress["frames_with_feedback"] == 2
    assert progress["frames_submitted"] == 2 and progress["frames_approved"] == 1
    assert progress["frames_pre_annotated"] == 3
    assert (progress["human_boxes"], progress["ai_boxes"], progress["predictions"]) == (4, 2, 5)


def test_per_label_and_per_revision(world, project):
    result = metrics_for_project(project=project)
    person, car = (next(r for r in result["per_label"] if r["name"] == n) for n in ("person", "car"))
    # person: P1 accepted, P2 rejected (P4, P5 pending); tp P1 + P4, fp P2, fn H1 -> P = R = 2/3.
    assert (person["acceptance_rate"], person["rejection_rate"]) == (0.5, 0.5)
    assert (person["tp"], person["fp"], person["fn"]) == (2, 1, 1)
    assert person["precision"] == pytest.approx(2 / 3) and person["recall"] == pytest.approx(2 / 3)
    assert (person["human_boxes"], person["ai_boxes"]) == (3, 1)  # H1, H2, H4; B1
    # car: P3 corrected and matched.
    assert car["correction_rate"] == 1 and (car["precision"], car["recall"]) == (1.0, 1.0)
    assert (car["human_boxes"], car["ai_boxes"]) == (1, 1)  # H3; B3
    revisions = {r["revision"]: r for r in result["per_revision"]}
    # r1 on f0: tp 2, fp 1, fn 1 -> 2/3; r2 on f1: tp 1 -> 1.
    assert revisions["r1"]["precision"] == pytest.approx(2 / 3) and revisions["r1"]["recall"] == pytest.approx(2 / 3)
    assert (revisions["r2"]["precision"], revisions["r2"]["recall"]) == (1.0, 1.0)
    assert revisions["r1"]["corrections"]["mean_iou"] == 0.5 and revisions["r1"]["frames_pre_annotated"] == 2


def test_effort_split_by_pre_annotation(world, project):
    effort = metrics_for_project(project=project)["effort"]
    # AI-assisted: f0 70 s + f1 0 s over 2 frames = 35 s/frame; final boxes f0 3 + f1 2 = 5 -> 14 s/box.
    assert effort["ai_assisted"]["frames"] == 2
    assert effort["ai_assisted"]["seconds_per_frame"] == 35 and effort["ai_assisted"]["seconds_per_box"] == 14
    # Manual: f3 90 s, 1 box.
    assert effort["manual"]["seconds_per_frame"] == 90 and effort["manual"]["seconds_per_box"] == 90


def test_progress_over_time_and_disagreement_ranking(world, project):
    result = metrics_for_project(project=project)
    f0, f1, *_ = world["frames"]
    # Jan 10: f0 and f1 first touched; Jan 11: f3; Jan 12: f0's review approved it.
    assert [(d["date"], d["frames_evaluated"], d["frames_approved"], d["total_evaluated"]) for d in
            result["progress_over_time"]] == [("2026-01-10", 2, 0, 2), ("2026-01-11", 1, 0, 3), ("2026-01-12", 0, 1, 3)]
    # f0: 1 unmatched prediction + 1 unmatched box + (1 - 0.75) = 2.25; f1: 1 - 0.833 = 0.1667.
    ranking = result["disagreement_by_frame"]
    assert [(r["image"], r["disagreement"]) for r in ranking] == [(f0.pk, 2.25), (f1.pk, pytest.approx(1 / 6, abs=1e-4))]
    assert ranking[0]["url"] == f"/images/{f0.pk}/"


def test_filters_by_label_revision_and_date(world, project):
    by_car = metrics_for_project(project=project, label=world["car"])
    assert (by_car["detection"]["tp"], by_car["detection"]["fp"], by_car["detection"]["fn"]) == (1, 0, 0)
    assert by_car["decisions"]["corrected"] == 1 and by_car["decisions"]["predictions"] == 1
    assert [r["name"] for r in by_car["per_label"]] == ["car"]
    r2 = metrics_for_project(project=project, revision="r2")
    # Only f1's job: P4 matches H2.
    assert (r2["detection"]["tp"], r2["detection"]["fp"], r2["detection"]["fn"]) == (1, 0, 0)
    assert [r["revision"] for r in r2["per_revision"]] == ["r2"] and r2["decisions"]["predictions"] == 1
    # Since Jan 9 leaves out the r1 job of Jan 8 (f0): predictions P4, P5 only.
    recent = metrics_for_project(project=project, since=DAY - dt.timedelta(days=1))
    assert recent["decisions"]["predictions"] == 2
    # Until Jan 11 keeps the events of Jan 10 only: f3's manual work falls outside.
    early = metrics_for_project(project=project, until=DAY + dt.timedelta(hours=20))
    assert early["effort"]["manual"]["frames"] == 0 and early["effort"]["ai_assisted"]["frames"] == 2


def test_evaluated_frames_are_the_ground_truth_until_something_is_reviewed(rows, project, label):
    (frame,) = rows.frames(1, status="in_progress")
    job = rows.job(frame, ["person"])
    rows.pred(job, label, (0, 0, 100, 100), score=0.9, status="accepted")
    rows.pred(job, label, (300, 300, 400, 400), score=0.4, status="rejected")
    rows.box(frame, label, (0, 0, 100, 100))
    result = metrics_for_project(project=project)
    # One match, one false positive: precision 1/2, recall 1/1.
    assert result["ground_truth"] == "evaluated"
    assert (result["detection"]["precision"], result["detection"]["recall"]) == (0.5, 1.0)


def test_newest_job_per_prompt_is_what_counts(rows, project, label):
    (frame,) = rows.frames(1, status="approved")
    old = rows.job(frame, ["person"])
    rows.pred(old, label, (300, 300, 400, 400))  # superseded by the re-run: not a false positive
    new = rows.job(frame, ["person"])
    rows.pred(new, label, (0, 0, 100, 100))
    rows.box(frame, label, (0, 0, 100, 100))
    det = metrics_for_project(project=project)["detection"]
    assert (det["tp"], det["fp"], det["fn"]) == (1, 0, 0)


def test_an_empty_project_has_no_figures_but_no_errors(project):
    result = metrics_for_project(project=project)
    assert result["detection"]["precision"] is None and result["progress"]["frames_total"] == 0
    assert result["per_revision"] == [] and result["disagreement_by_frame"] == []
