"""COCO scoring of evaluations agrees with pycocotools, edge cases included."""

import random

import pytest

from feedback.evaluation.scoring import coco_score
from tests.feedback.coco_reference import pycocotools_scores


def _dataset(frames: int, seed: int):
    """Random truth on `frames` frames plus detections near (and far from) it; frame 1 has no truth,
    label `bus` has truth but is never detected, label `kite` has neither."""
    rng = random.Random(seed)
    images = [{"id": i, "width": 640, "height": 480, "file_name": f"{i}.jpg"} for i in range(1, frames + 1)]
    categories = [{"id": 1, "name": "person"}, {"id": 2, "name": "car"}, {"id": 3, "name": "bus"},
                  {"id": 4, "name": "kite"}]
    annotations, detections = [], []
    for image in images[1:]:
        for _ in range(rng.randint(0, 6)):
            x, y, w, h = rng.uniform(0, 500), rng.uniform(0, 350), rng.uniform(8, 120), rng.uniform(8, 120)
            category = rng.choice([1, 1, 2, 3])
            annotations.append({"id": len(annotations) + 1, "image_id": image["id"], "category_id": category,
                                "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0})
            if category != 3 and rng.random() < 0.8:
                jitter = rng.uniform(-0.4, 0.4) * w
                detections.append({"image_id": image["id"], "category_id": category,
                                   "bbox": [x + jitter, y, w, h], "score": round(rng.random(), 3)})
        for _ in range(rng.randint(0, 2)):  # false alarms, some on the frame without truth
            detections.append({"image_id": rng.choice(images)["id"], "category_id": rng.choice([1, 2]),
                               "bbox": [rng.uniform(0, 500), rng.uniform(0, 350), 30, 40], "score": rng.random()})
    detections.append({"image_id": 1, "category_id": 1, "bbox": [5, 5, 20, 20], "score": 0.9})
    return {"images": images, "categories": categories, "annotations": annotations}, detections


@pytest.mark.parametrize("seed", [1, 2])
def test_scores_equal_pycocotools_on_the_same_truth_and_detections(seed):
    ground_truth, detections = _dataset(60, seed)
    ours = coco_score(ground_truth=ground_truth, detections=detections)
    reference = pycocotools_scores(ground_truth, detections)
    for key in ("map", "map_50", "map_75"):
        assert ours[key] == pytest.approx(reference[key], abs=1e-12)
    assert ours["ap_50"] == pytest.approx(reference["ap_50"], abs=1e-12)
    assert (ours["tp"], ours["fp"], ours["fn"]) == (reference["tp"], reference["fp"], reference["fn"])
    assert ours["ap_50"]["bus"] == 0.0  # truth but no detection: AP 0, averaged in
    assert ours["ap_50"]["kite"] is None and "kite" not in ours["pr_curves"]  # nothing to find: no AP
    assert ours["precision"] == ours["tp"] / (ours["tp"] + ours["fp"])
    assert ours["recall"] == ours["tp"] / (ours["tp"] + ours["fn"])
    assert ours["disagreement"][1] >= 1  # the false alarm on the frame without truth


def test_a_model_that_finds_nothing_scores_zero_and_perfect_detections_score_one():
    ground_truth, _ = _dataset(10, 3)
    nothing = coco_score(ground_truth=ground_truth, detections=[])
    assert (nothing["map"], nothing["map_50"], nothing["recall"], nothing["precision"]) == (0.0, 0.0, 0.0, None)
    perfect = [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"], "score": 1.0}
               for a in ground_truth["annotations"]]
    scores = coco_score(ground_truth=ground_truth, detections=perfect)
    assert scores["map"] == pytest.approx(1.0) and scores["precision"] == scores["recall"] == 1.0
    assert set(scores["disagreement"].values()) == {0}
