"""How well the model's boxes match the human ones, as pure functions over plain data: no ORM, no I/O.

Greedy one-to-one matching per frame (as COCOeval), precision/recall/F1 and AP@0.5 over many
frames. `feedback.selectors` and the evaluations feed them from the database. Boxes are
`(x_min, y_min, x_max, y_max)` tuples in pixels; a label is any hashable key.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

IOU_THRESHOLD = 0.5
RECALL_THRESHOLDS = np.linspace(0.0, 1.00, 101, endpoint=True)  # as pycocotools' Params.recThrs

Coords = tuple[float, float, float, float]


class Pred(NamedTuple):
    """One model box: its label key, geometry, score (None = unscored) and audit status."""

    label: object
    box: Coords
    score: float | None = None
    status: str = "pending"
    id: int | None = None


class Truth(NamedTuple):
    """One final human box (drawn, accepted or corrected) on an evaluated frame."""

    label: object
    box: Coords


@dataclass(slots=True)
class FrameEval:
    """What matching found on one frame."""

    matches: list[tuple[Pred, Truth, float]] = field(default_factory=list)
    unmatched_preds: list[Pred] = field(default_factory=list)
    unmatched_truths: list[Truth] = field(default_factory=list)

    @property
    def mean_iou(self) -> float | None:
        return sum(m[2] for m in self.matches) / len(self.matches) if self.matches else None

    @property
    def disagreement(self) -> float:
        """Unmatched predictions + unmatched human boxes + (1 - mean IoU of the matches).

        A frame where model and humans agree perfectly scores 0; every box one side has
        and the other lacks adds 1; loose matches add up to 1 more.
        """
        loose = 1.0 - self.mean_iou if self.matches else 0.0
        return len(self.unmatched_preds) + len(self.unmatched_truths) + loose


def _score_order(pred: Pred) -> float:
    return -(pred.score if pred.score is not None else float("-inf"))


def match_frame(preds: Iterable[Pred], truths: Iterable[Truth], threshold: float = IOU_THRESHOLD) -> FrameEval:
    """Greedy one-to-one matching per label, as COCOeval does it.

    Predictions are taken by descending score (unscored last, then in the given order);
    each takes the still-unmatched human box of its label with the highest IoU, if that
    IoU is at least `threshold` (ties go to the later box, as in COCOeval).
    """
    result = FrameEval()
    by_label: dict = {}
    for truth in truths:
        by_label.setdefault(truth.label, []).append(truth)
    taken: set[int] = set()
    for pred in sorted(preds, key=_score_order):  # sorted() is stable: ties keep input order
        best, best_iou = None, threshold
        ax0, ay0, ax1, ay1 = pred.box
        area = (ax1 - ax0) * (ay1 - ay0)
        for truth in by_label.get(pred.label, ()):
            bx0, by0, bx1, by1 = truth.box
            iw = (ax1 if ax1 < bx1 else bx1) - (ax0 if ax0 > bx0 else bx0)
            ih = (ay1 if ay1 < by1 else by1) - (ay0 if ay0 > by0 else by0)
            if iw <= 0 or ih <= 0 or id(truth) in taken:
                continue
            inter = iw * ih
            overlap = inter / (area + (bx1 - bx0) * (by1 - by0) - inter)  # inline iou(): the hot loop
            if overlap >= best_iou:
                best, best_iou = truth, overlap
        if best is None:
            result.unmatched_preds.append(pred)
        else:
            taken.add(id(best))
            result.matches.append((pred, best, best_iou))
    for group in by_label.values():
        result.unmatched_truths.extend(t for t in group if id(t) not in taken)
    return result


def prf(tp: int, fp: int, fn: int) -> dict:
    """Precision, recall and F1 (None when undefined: nothing predicted / nothing to find)."""
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else (0.0 if tp + fp and tp + fn else None)
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}


def average_precision(scored: list[tuple[float, bool]], n_truths: int) -> float | None:
    """AP at one IoU threshold the way COCOeval computes it: 101-point interpolated.

    `scored` is every prediction of one label as (score, matched); `n_truths` the number
    of human boxes of that label. None when there is nothing to find (COCO's -1). Same
    steps and float thresholds as pycocotools' `accumulate`, so the figures agree exactly.
    """
    return _average_precision([s for s, _ in scored], [hit for _, hit in scored], n_truths)


def _average_precision(scores: list[float], hits: list[bool], n_truths: int) -> float | None:
    if n_truths == 0:
        return None
    if not scores:
        return 0.0
    scores, matched = np.asarray(scores, dtype=float), np.asarray(hits, dtype=bool)
    order = np.argsort(-scores, kind="mergesort")
    tp = np.cumsum(matched[order])
    fp = np.cumsum(~matched[order])
    recall = tp / n_truths
    precision = tp / (tp + fp)
    precision = np.maximum.accumulate(precision[::-1])[::-1]  # envelope: never rises as recall drops
    index = np.searchsorted(recall, RECALL_THRESHOLDS, side="left")
    sampled = np.where(index < len(precision), precision[np.minimum(index, len(precision) - 1)], 0.0)
    return float(sampled.mean())


@dataclass
class DetectionTally:
    """Running totals over many frames, per label."""

    tp: dict = field(default_factory=lambda: defaultdict(int))
    fp: dict = field(default_factory=lambda: defaultdict(int))
    fn: dict = field(default_factory=lambda: defaultdict(int))
    # Per label, every prediction's score and whether it matched, as two parallel lists
    # (cheaper to build and to hand to numpy than a list of pairs, at 100,000 predictions).
    scores: dict = field(default_factory=lambda: defaultdict(list))
    hits: dict = field(default_factory=lambda: defaultdict(list))
    frames: int = 0
    _ap: dict = field(default_factory=dict)

    def add(self, frame: FrameEval) -> None:
        self._ap.clear()
        self.frames += 1
        tp, fp, scores, hits = self.tp, self.fp, self.scores, self.hits
        for pred, _, _ in frame.matches:
            tp[pred.label] += 1
            scores[pred.label].append(pred.score or 0.0)
            hits[pred.label].append(True)
        for pred in frame.unmatched_preds:
            fp[pred.label] += 1
            scores[pred.label].append(pred.score or 0.0)
            hits[pred.label].append(False)
        for truth in frame.unmatched_truths:
            self.fn[truth.label] += 1

    def ap(self, label) -> float | None:
        if label not in self._ap:
            n_truths = self.tp.get(label, 0) + self.fn.get(label, 0)
            self._ap[label] = _average_precision(self.scores.get(label, []), self.hits.get(label, []), n_truths)
        return self._ap[label]

    def labels(self) -> set:
        return set(self.tp) | set(self.fp) | set(self.fn)

    def summary(self, label=None) -> dict:
        """Precision/recall/F1 and AP@0.5 for one label, or for all labels (micro-averaged, mAP)."""
        keys = [label] if label is not None else sorted(self.labels(), key=str)
        tp, fp, fn = (sum(d[k] for k in keys) for d in (self.tp, self.fp, self.fn))
        out = prf(tp, fp, fn)
        aps = [self.ap(k) for k in keys]
        aps = [ap for ap in aps if ap is not None]
        out["ap50" if label is not None else "map50"] = sum(aps) / len(aps) if aps else None
        if label is None:
            out["frames_evaluated"] = self.frames
        return out


def evaluate(frames: Iterable[tuple[object, list[Pred], list[Truth]]]) -> tuple[DetectionTally, dict]:
    """Match every `(frame_key, preds, truths)`; return the tally and each frame's `FrameEval`."""
    tally, per_frame = DetectionTally(), {}
    for key, preds, truths in frames:
        result = match_frame(preds, truths)
        tally.add(result)
        per_frame[key] = result
    return tally, per_frame
