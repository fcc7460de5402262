"""What people did with the model's boxes and how long their work took, as pure functions over plain
data: no ORM, no I/O.

Decision rates (accepted, corrected, rejected), how far corrections moved the model's box, the
frames' ratings, active time and effort per frame. `feedback.selectors` feeds them from the
database; the MLflow audit run logs what they return (`flatten` turns the nested dict into
`{"a.b": number}`).
"""

from collections.abc import Iterable

from inference.trackers.base import iou  # one IoU for the audit, the trackers and track matching

Coords = tuple[float, float, float, float]
IDLE_SECONDS = 120.0


def decision_rates(statuses: Iterable[str]) -> dict:
    """Counts of prediction statuses and the rates over decided predictions.

    acceptance + correction + rejection = 1 over decided (accepted, corrected or rejected)
    predictions; pending ones are counted but do not enter the rates.
    """
    counts = {"pending": 0, "accepted": 0, "corrected": 0, "rejected": 0}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return decision_rates_from_counts(counts)


def decision_rates_from_counts(counts: dict) -> dict:
    out = {k: int(counts.get(k, 0)) for k in ("pending", "accepted", "corrected", "rejected")}
    decided = out["accepted"] + out["corrected"] + out["rejected"]
    out["predictions"] = decided + out["pending"]
    out["decided"] = decided
    for status, rate in (("accepted", "acceptance"), ("corrected", "correction"), ("rejected", "rejection")):
        out[f"{rate}_rate"] = out[status] / decided if decided else None
    return out


def correction_iou(pairs: Iterable[tuple[Coords, Coords]]) -> dict:
    """Mean IoU between the model's box and the human's corrected box, over corrected predictions."""
    values = [iou(before, after) for before, after in pairs]
    return {"count": len(values), "mean_iou": sum(values) / len(values) if values else None}


def rating_distribution(ratings: Iterable[int]) -> dict:
    counts = {1: 0, 0: 0, -1: 0}
    for rating in ratings:
        counts[rating] += 1
    return rating_distribution_from_counts(counts)


def rating_distribution_from_counts(counts: dict) -> dict:
    total = sum(counts.values())
    return {
        "positive": counts.get(1, 0),
        "neutral": counts.get(0, 0),
        "negative": counts.get(-1, 0),
        "count": total,
        "mean": (counts.get(1, 0) - counts.get(-1, 0)) / total if total else None,
    }


def active_seconds(timestamps: Iterable[float], idle: float = IDLE_SECONDS) -> float:
    """Active time of one user on one frame from the times (epoch seconds) of their events.

    The rule: sort the events; the time between two consecutive events counts as work if
    it is at most `idle` seconds, otherwise the user was away (the gap counts for
    nothing). A single event therefore counts 0 s: a lower bound, but one that cannot be
    inflated by a tab left open over lunch.
    """
    total, previous = 0.0, None
    for t in sorted(timestamps):
        if previous is not None and t - previous <= idle:
            total += t - previous
        previous = t
    return total


def effort(frames: Iterable[tuple[bool, float, int]]) -> dict:
    """Human effort split by frames pre-annotated by the model or not.

    `frames` is `(pre_annotated, active_seconds, final_boxes)` per frame people worked on.
    Gives seconds per frame and per final box for each side: the figure that says
    whether the AI saves time.
    """
    sides = {True: [0, 0.0, 0], False: [0, 0.0, 0]}
    for pre, seconds, boxes in frames:
        side = sides[bool(pre)]
        side[0] += 1
        side[1] += seconds
        side[2] += boxes
    return effort_from_sums(sides)


def effort_from_sums(sides: dict) -> dict:
    """`effort` from `{pre_annotated: (frames, active seconds, final boxes)}` already summed (in SQL)."""

    def block(n=0, seconds=0.0, boxes=0):
        return {
            "frames": n,
            "active_seconds": round(seconds, 3),
            "final_boxes": boxes,
            "seconds_per_frame": seconds / n if n else None,
            "seconds_per_box": seconds / boxes if boxes else None,
        }

    return {
        "idle_threshold_seconds": IDLE_SECONDS,
        "ai_assisted": block(*sides.get(True, ())),
        "manual": block(*sides.get(False, ())),
    }


def flatten(data: dict, prefix: str = "") -> dict:
    """Numeric leaves of a nested metrics dict as `{"a.b.c": float}`, for `mlflow.log_metrics`.

    Lists (per-label, per-day, per-frame tables) are left out: they are tables, not metrics.
    """
    out = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            out[name] = float(value)
        elif isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
    return out
