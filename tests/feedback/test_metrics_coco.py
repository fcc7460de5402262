"""mAP@0.5 from `metrics_for_project` equals pycocotools' COCOeval on the same generated data."""

import random

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from feedback.metrics import detection as m
from feedback.selectors import metrics_for_project
from inference.models import Prediction
from tests.factories import LabelFactory


def _random_box(rng, width=640, height=480):
    w, h = rng.uniform(20, 200), rng.uniform(20, 200)
    x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
    return (x, y, x + w, y + h)


def _jitter(rng, box, amount):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    dx, dy = rng.uniform(-amount, amount) * w, rng.uniform(-amount, amount) * h
    return (max(0.0, x0 + dx), max(0.0, y0 + dy), x1 + dx + rng.uniform(0, amount) * w, y1 + dy)


def generate(rng, n_frames=60, labels=("person", "car", "dog")):
    """Per frame and label: 0-4 truths; each found with a jittered box (p=.75); 0-2 false alarms."""
    frames = []
    for _ in range(n_frames):
        truths, preds = [], []
        for label in labels:
            for _ in range(rng.randint(0, 4)):
                box = _random_box(rng)
                truths.append((label, box))
                if rng.random() < 0.75:
                    preds.append((label, _jitter(rng, box, 0.25), rng.random()))
            for _ in range(rng.randint(0, 2)):
                preds.append((label, _random_box(rng), rng.random() * 0.7))
        frames.append((truths, preds))
    return frames


def coco_map50(frames, labels):
    """mAP@0.5 by COCOeval with one IoU threshold, area 'all', 100 detections per image."""
    cat = {name: i + 1 for i, name in enumerate(labels)}
    gt = {"images": [], "annotations": [], "categories": [{"id": i, "name": n} for n, i in cat.items()]}
    dets = []
    for image_id, (truths, preds) in enumerate(frames, start=1):
        gt["images"].append({"id": image_id, "width": 640, "height": 480})
        for label, (x0, y0, x1, y1) in truths:
            gt["annotations"].append({
                "id": len(gt["annotations"]) + 1, "image_id": image_id, "category_id": cat[label],
                "bbox": [x0, y0, x1 - x0, y1 - y0], "area": (x1 - x0) * (y1 - y0), "iscrowd": 0,
            })
        for label, (x0, y0, x1, y1), score in preds:
            dets.append({"image_id": image_id, "category_id": cat[label], "bbox": [x0, y0, x1 - x0, y1 - y0],
                         "score": score})
    coco_gt = COCO()
    coco_gt.dataset = gt
    coco_gt.createIndex()
    coco_dt = coco_gt.loadRes(dets)
    evaluation = COCOeval(coco_gt, coco_dt, "bbox")
    evaluation.params.iouThrs = np.array([0.5])
    evaluation.evaluate()
    evaluation.accumulate()
    precision = evaluation.eval["precision"][0, :, :, 0, -1]  # [recall, category] at area all, maxDets 100
    per_cat = {}
    for name, cat_id in cat.items():
        column = precision[:, cat_id - 1]
        if (column > -1).any():  # a category with no truth has no AP (-1)
            per_cat[name] = float(np.mean(column))
    return float(np.mean(list(per_cat.values()))), per_cat


def test_average_precision_matches_cocoeval_in_pure_functions():
    rng = random.Random(7)
    frames = generate(rng)
    tally, _ = m.evaluate(
        (i, [m.Pred(lab, box, score) for lab, box, score in preds], [m.Truth(lab, box) for lab, box in truths])
        for i, (truths, preds) in enumerate(frames)
    )
    expected_map, expected_per_label = coco_map50(frames, ("person", "car", "dog"))
    assert tally.summary()["map50"] == pytest.approx(expected_map, abs=1e-9)
    for name, ap in expected_per_label.items():
        assert tally.summary(name)["ap50"] == pytest.approx(ap, abs=1e-9)
    assert 0.2 < expected_map < 0.95  # the generated set is neither trivial nor hopeless


def test_project_map50_matches_cocoeval(rows, project):
    rng = random.Random(11)
    names = ("person", "car", "dog")
    frames = generate(rng, n_frames=40, labels=names)
    labels = {name: LabelFactory(project=project, name=name) for name in names}
    images = rows.frames(len(frames), status="approved")
    predictions = []
    for image, (truths, preds) in zip(images, frames):
        for name, box in truths:
            rows.box(image, labels[name], box)
        job = rows.job(image, names)
        for rank, (name, (x0, y0, x1, y1), score) in enumerate(preds):
            predictions.append(Prediction(
                job=job, image=image, label=labels[name], prompt=name, rank=rank, score=score,
                x_min=x0, y_min=y0, x_max=x1, y_max=y1,
            ))
    Prediction.objects.bulk_create(predictions)
    expected_map, expected_per_label = coco_map50(frames, names)
    result = metrics_for_project(project=project)
    assert result["detection"]["map50"] == pytest.approx(expected_map, abs=1e-9)
    for row in result["per_label"]:
        assert row["ap50"] == pytest.approx(expected_per_label[row["name"]], abs=1e-9)
