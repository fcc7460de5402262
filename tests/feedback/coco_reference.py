"""pycocotools, run as its docs show, as the reference the evaluation's scores are checked against."""

import contextlib
import io

import numpy as np


def pycocotools_scores(ground_truth: dict, detections: list[dict]) -> dict:
    """stats[0:3], AP50 per category name, and tp/fp/fn at IoU 0.5 from the per-image matches."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        ground = COCO()
        ground.dataset = ground_truth
        ground.createIndex()
        found = ground.loadRes(detections)
        evaluator = COCOeval(ground, found, "bbox")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    precision = evaluator.eval["precision"]
    names = {c["id"]: c["name"] for c in ground_truth["categories"]}
    ap_50 = {}
    for k, cat in enumerate(evaluator.params.catIds):
        curve = precision[0, :, k, 0, -1]
        ap_50[names[cat]] = float(curve[curve > -1].mean()) if (curve > -1).any() else None
    tp = fp = fn = 0
    for item in evaluator.evalImgs:
        if item is None or item["aRng"] != evaluator.params.areaRng[0]:
            continue
        dt_hit, dt_ignored = item["dtMatches"][0] > 0, item["dtIgnore"][0].astype(bool)
        gt_hit, gt_ignored = item["gtMatches"][0] > 0, np.asarray(item["gtIgnore"], dtype=bool)
        tp += int((dt_hit & ~dt_ignored).sum())
        fp += int((~dt_hit & ~dt_ignored).sum())
        fn += int((~gt_hit & ~gt_ignored).sum())
    stats = [None if s == -1 else float(s) for s in evaluator.stats[:3]]
    return {"map": stats[0], "map_50": stats[1], "map_75": stats[2], "ap_50": ap_50, "tp": tp, "fp": fp, "fn": fn}
