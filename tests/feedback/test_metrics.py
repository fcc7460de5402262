"""The pure metric functions, on boxes whose figures are worked out by hand in the comments."""

import pytest

from feedback.metrics import detection as m
from feedback.metrics import work as w


def test_iou_of_overlapping_disjoint_and_identical_boxes():
    # A = [0,0,10,10] (area 100), B = [5,0,15,10] (area 100): overlap 5x10 = 50, union 150.
    assert w.iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert w.iou((0, 0, 10, 10), (10, 0, 20, 10)) == 0.0  # touching edges share no area
    assert w.iou((3, 4, 9, 8), (3, 4, 9, 8)) == 1.0


def test_greedy_matching_is_one_to_one_per_label_in_score_order():
    truths = [m.Truth("car", (0, 0, 10, 10)), m.Truth("car", (20, 0, 30, 10)), m.Truth("person", (0, 0, 10, 10))]
    preds = [
        # Highest score takes truth 1 (IoU 1.0).
        m.Pred("car", (0, 0, 10, 10), 0.9),
        # Also overlaps truth 1 (IoU 90/110 = 0.818) but it is taken; truth 2 IoU 0 -> false positive.
        m.Pred("car", (1, 0, 10, 10), 0.8),
        # Truth 2 at IoU [21,0,30,10] area 90 / 100 = 0.9 -> match.
        m.Pred("car", (21, 0, 30, 10), 0.7),
        # Same place as the person box but labelled car: labels never cross -> false positive.
        m.Pred("car", (0, 0, 10, 10), 0.1),
    ]
    result = m.match_frame(preds, truths)
    assert [(p.score, round(i, 3)) for p, _, i in result.matches] == [(0.9, 1.0), (0.7, 0.9)]
    assert [p.score for p in result.unmatched_preds] == [0.8, 0.1]
    assert result.unmatched_truths == [truths[2]]  # the person nobody predicted
    # Disagreement: 2 unmatched predictions + 1 unmatched truth + (1 - mean(1.0, 0.9)) = 3.05
    assert result.disagreement == pytest.approx(3.05)


def test_a_match_needs_iou_of_at_least_one_half():
    # [0,0,10,10] vs [0,0,10,20]: 100 / 200 = 0.5 exactly -> matches.
    assert len(m.match_frame([m.Pred("a", (0, 0, 10, 10), 1.0)], [m.Truth("a", (0, 0, 10, 20))]).matches) == 1
    # [0,0,10,10] vs [0,0,10,21]: 100 / 210 = 0.476 -> no match.
    assert len(m.match_frame([m.Pred("a", (0, 0, 10, 10), 1.0)], [m.Truth("a", (0, 0, 10, 21))]).matches) == 0


def test_precision_recall_f1_over_frames():
    frames = [
        # Frame 1: 2 preds, 1 truth matched -> tp 1, fp 1.
        ("f1", [m.Pred("a", (0, 0, 10, 10), 0.9), m.Pred("a", (50, 50, 60, 60), 0.8)], [m.Truth("a", (0, 0, 10, 10))]),
        # Frame 2: no preds, 2 truths -> fn 2.
        ("f2", [], [m.Truth("a", (0, 0, 10, 10)), m.Truth("b", (0, 0, 5, 5))]),
        # Frame 3: 1 pred matching -> tp 1.
        ("f3", [m.Pred("b", (0, 0, 5, 5), 0.5)], [m.Truth("b", (0, 0, 5, 5))]),
    ]
    tally, per_frame = m.evaluate(frames)
    overall = tally.summary()
    # tp 2, fp 1, fn 2: precision 2/3, recall 2/4, F1 = 2*(2/3)(1/2)/(2/3+1/2) = (2/3)/(7/6) = 4/7.
    assert (overall["tp"], overall["fp"], overall["fn"]) == (2, 1, 2)
    assert overall["precision"] == pytest.approx(2 / 3)
    assert overall["recall"] == pytest.approx(0.5)
    assert overall["f1"] == pytest.approx(4 / 7)
    assert overall["frames_evaluated"] == 3
    # Label a: tp 1, fp 1, fn 1 -> P = R = F1 = 0.5. Label b: tp 1, fn 1 -> P 1, R 0.5, F1 2/3.
    a, b = tally.summary("a"), tally.summary("b")
    assert (a["precision"], a["recall"], a["f1"]) == (0.5, 0.5, 0.5)
    assert (b["precision"], b["recall"]) == (1.0, 0.5) and b["f1"] == pytest.approx(2 / 3)
    assert per_frame["f2"].disagreement == 2


def test_precision_is_undefined_without_predictions_and_f1_zero_when_nothing_matches():
    assert m.prf(0, 0, 3)["precision"] is None
    assert m.prf(0, 2, 3)["f1"] == 0.0
    assert m.prf(0, 0, 0) == {"tp": 0, "fp": 0, "fn": 0, "precision": None, "recall": None, "f1": None}


def test_average_precision_by_hand():
    # Label with 2 truths; predictions by score: hit, miss, hit.
    # precision after each: 1, 1/2, 2/3; recall: 1/2, 1/2, 1.
    # Envelope: 1, 2/3, 2/3. Recall points 0..0.50 (51 points) -> 1; 0.51..1.00 (50 points) -> 2/3.
    ap = m.average_precision([(0.9, True), (0.8, False), (0.7, True)], 2)
    assert ap == pytest.approx((51 * 1 + 50 * 2 / 3) / 101)
    assert m.average_precision([(0.9, False)], 0) is None


def test_decision_rates_ignore_pending():
    rates = w.decision_rates(["accepted", "accepted", "corrected", "rejected", "pending"])
    # 4 decided: 2 accepted (0.5), 1 corrected (0.25), 1 rejected (0.25).
    assert rates["decided"] == 4 and rates["predictions"] == 5
    assert (rates["acceptance_rate"], rates["correction_rate"], rates["rejection_rate"]) == (0.5, 0.25, 0.25)
    assert w.decision_rates([])["acceptance_rate"] is None


def test_correction_iou_and_rating_distribution():
    # Model [0,0,10,10] corrected to [0,0,10,20]: IoU 0.5; another corrected to itself: 1.0. Mean 0.75.
    result = w.correction_iou([((0, 0, 10, 10), (0, 0, 10, 20)), ((1, 1, 2, 2), (1, 1, 2, 2))])
    assert result == {"count": 2, "mean_iou": 0.75}
    ratings = w.rating_distribution([1, 1, 0, -1])
    # mean = (1 + 1 + 0 - 1) / 4 = 0.25
    assert ratings == {"positive": 2, "neutral": 1, "negative": 1, "count": 4, "mean": 0.25}


def test_active_seconds_drop_idle_gaps():
    # Events at 0, 30, 60 (two 30 s gaps), then 500 (gap 440 > 120: away), then 510 (10 s).
    assert w.active_seconds([60, 0, 30, 500, 510]) == 70
    assert w.active_seconds([42]) == 0


def test_effort_splits_ai_assisted_from_manual_frames():
    result = w.effort([(True, 30.0, 3), (True, 10.0, 1), (False, 90.0, 3)])
    # Assisted: 40 s over 2 frames = 20 s/frame, over 4 boxes = 10 s/box. Manual: 90 s, 1 frame, 3 boxes.
    assert result["ai_assisted"]["seconds_per_frame"] == 20 and result["ai_assisted"]["seconds_per_box"] == 10
    assert result["manual"]["seconds_per_frame"] == 90 and result["manual"]["seconds_per_box"] == 30
    assert result["idle_threshold_seconds"] == 120


def test_flatten_keeps_numeric_leaves_for_mlflow():
    flat = w.flatten({"detection": {"precision": 0.5, "recall": None, "tp": 3}, "per_label": [1], "basis": "x"})
    assert flat == {"detection.precision": 0.5, "detection.tp": 3.0}
