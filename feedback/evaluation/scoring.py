"""COCO scoring of an evaluation with faster-coco-eval: no hand-written AP.

Input is what the run logs as artifacts: the ground truth as a COCO dataset dict and the
detections in the COCO results format (`{image_id, category_id, bbox: [x, y, w, h], score}`).
mAP@[.5:.95], AP50, AP75, per-label AP and the PR curves are read from `COCOeval_faster`
(the C++ port of pycocotools' COCOeval, identical figures, ~5x faster at 100,000 boxes).
Precision and recall at the operating point (every detection as the model gave it) and how
much model and humans disagree on each frame use the AI audit's matching
(`feedback.metrics.detection.match_frame`, COCOeval's greedy rule at IoU 0.5), so an evaluation and
the dashboard's audit count a hit the same way.
"""

from collections import defaultdict

import numpy as np

from feedback.metrics.detection import Pred, Truth, match_frame, prf

IOU_50 = 0  # index of IoU 0.50 in COCOeval's Params.iouThrs
AREA_ALL = 0
MAX_DETS_LAST = -1  # 100 detections per image and category


def coco_evaluate(*, ground_truth: dict, detections: list[dict]):
    """`COCOeval_faster` (bbox) over the two, evaluated, accumulated and summarised."""
    from faster_coco_eval import COCO, COCOeval_faster  # scoring only: kept out of Django start-up

    ground = COCO(ground_truth)
    if detections:
        found = ground.loadRes([dict(d) for d in detections])
    else:  # loadRes refuses an empty list; a model that found nothing scores 0, not an error
        found = COCO({"images": ground_truth["images"], "categories": ground_truth["categories"], "annotations": []})
    # One worker: the IoU thread pool only pays off for masks, and the machine runs detectors.
    evaluator = COCOeval_faster(ground, found, "bbox", print_function=lambda *args: None, rle_iou_max_workers=1)
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    return evaluator


def _mean_valid(values) -> float | None:
    valid = values[values > -1]
    return float(np.mean(valid)) if valid.size else None


def _xyxy(bbox) -> tuple[float, float, float, float]:
    x, y, w, h = bbox
    return (x, y, x + w, y + h)


def operating_point(*, ground_truth: dict, detections: list[dict]) -> tuple[dict, dict]:
    """(`{tp, fp, fn, precision, recall, f1}`, `{image id: misses + false alarms + looseness}`)."""
    truths, preds = defaultdict(list), defaultdict(list)
    for ann in ground_truth["annotations"]:
        truths[ann["image_id"]].append(Truth(ann["category_id"], _xyxy(ann["bbox"])))
    for det in detections:
        preds[det["image_id"]].append(Pred(det["category_id"], _xyxy(det["bbox"]), det.get("score")))
    tp = fp = fn = 0
    disagreement = {}
    for image in ground_truth["images"]:
        frame = match_frame(preds.get(image["id"], ()), truths.get(image["id"], ()))
        tp, fp, fn = tp + len(frame.matches), fp + len(frame.unmatched_preds), fn + len(frame.unmatched_truths)
        disagreement[image["id"]] = round(frame.disagreement, 6)
    return prf(tp, fp, fn), disagreement


def coco_score(*, ground_truth: dict, detections: list[dict]) -> dict:
    """Score detections against ground truth (both COCO-shaped, see the module docstring).

    Returns `map`, `map_50`, `map_75` (0 when nothing was found; None when there is no human
    box at all); per label name `ap` and `ap_50` (None for a label without human boxes);
    `precision`, `recall`, `tp`, `fp`, `fn` at IoU 0.5 over every detection as given;
    `pr_curves` `{label: {recall, precision}}` at IoU 0.5; `disagreement` `{image id: float}`.
    """
    evaluator = coco_evaluate(ground_truth=ground_truth, detections=detections)
    names = {c["id"]: c["name"] for c in ground_truth["categories"]}
    precision = evaluator.eval["precision"]  # [iou, recall step, category, area, max dets]
    stats = [None if s == -1 else float(s) for s in evaluator.stats[:3]]
    ap, ap_50, curves = {}, {}, {}
    for k, category_id in enumerate(evaluator.params.catIds):
        name = names[category_id]
        ap[name] = _mean_valid(precision[:, :, k, AREA_ALL, MAX_DETS_LAST])
        curve = precision[IOU_50, :, k, AREA_ALL, MAX_DETS_LAST]
        ap_50[name] = _mean_valid(curve)
        if (curve > -1).any():
            curves[name] = {"recall": evaluator.params.recThrs.tolist(), "precision": np.maximum(curve, 0).tolist()}
    point, disagreement = operating_point(ground_truth=ground_truth, detections=detections)
    return {
        "map": stats[0],
        "map_50": stats[1],
        "map_75": stats[2],
        "ap": ap,
        "ap_50": ap_50,
        **{k: point[k] for k in ("precision", "recall", "tp", "fp", "fn")},
        "pr_curves": curves,
        "disagreement": disagreement,
    }
