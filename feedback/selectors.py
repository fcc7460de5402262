"""Reads that feed `feedback.metrics`: a fixed set of queries per call, whatever the size.

`metrics_for_project` never runs one query per frame. Counting (decisions, boxes,
ratings, effort, progress per day) is done in SQL by `feedback.aggregates`; matching
needs geometry, so the predictions and live boxes of the ground-truth frames only are
fetched once (values_list) and matched in Python with the pure functions.

What is compared with what:
- The model's answer on a frame is, per (frame, prompt), the predictions of the newest
  finished job that asked that prompt (per revision in `per_revision`).
- The ground truth is the frame's live boxes (drawn, accepted or corrected) whose label's
  prompt was asked, on *reviewed* frames (approved or rejected); while no pre-annotated
  frame has been reviewed, on *evaluated* frames instead (frames with feedback, live
  boxes or a decided prediction).
- `since`/`until` select detection jobs by their creation time, events (effort, progress)
  and ratings by theirs; frame and box counts are the current state.
"""

from collections import defaultdict

from annotations.selectors.live import project_progress
from feedback import aggregates as agg
from feedback.loading import DISAGREEMENT_ROWS, REVIEWED, frame_inputs, project_data_load
from feedback.metrics.detection import DetectionTally, evaluate, match_frame
from feedback.metrics.work import (
    IDLE_SECONDS,
    decision_rates_from_counts,
    effort_from_sums,
    rating_distribution_from_counts,
)
from feedback.parallel import alongside, cyclic_gc_paused


@cyclic_gc_paused()
def metrics_for_project(*, project, label=None, revision=None, since=None, until=None) -> dict:
    """The AI-audit metrics of a project as one plain dict (see `feedback.metrics`).

    `label` (a Label or its id) and `revision` (DetectionJob.revision) narrow the
    predictions and boxes compared; `since`/`until` (aware datetimes, until exclusive)
    narrow jobs, events and ratings. About fifteen queries whatever the project's size:
    counting happens in SQL (`feedback.aggregates`, on a second connection `alongside`),
    matching in Python on the ground-truth frames only.
    """
    project_id = project.pk if hasattr(project, "pk") else int(project)
    label_id = getattr(label, "pk", label)
    scope = {"project_id": project_id, "revision": revision, "since": since, "until": until}
    counting = alongside(_counts_fetch, scope)

    if agg.reviewed_and_judged(**scope):
        basis = "reviewed"
        data = project_data_load(**scope, statuses=sorted(REVIEWED))
        truth_frames = set(data.frames)
    else:
        basis = "evaluated"
        data = project_data_load(**scope)
        evaluated = agg.frames_with_feedback(project_id) | set(data.truths) | data.decided_frames
        truth_frames = evaluated & set(data.frames)
    tally, per_frame = evaluate(frame_inputs(data, frames=truth_frames, label=label_id))
    by_rev = _tally_by_revision(data, truth_frames, label_id, per_frame, tally)

    counted = counting.result()
    decisions = [(data.label_key(lab, p.strip().lower()), rev, st, n) for lab, p, rev, st, n in counted["decisions"]]
    decisions = [row for row in decisions if label_id is None or row[0] == label_id]
    corrections = [(data.label_key(lab, p.strip().lower()), rev, n, total) for lab, p, rev, n, total in counted["corrections"]]
    corrections = [row for row in corrections if label_id is None or row[0] == label_id]
    boxes = [row for row in counted["boxes"] if label_id is None or row[0] == label_id]  # (label, origin, deleted, keyframe, n)
    ratings, rated_frames = counted["ratings"]
    effort = {pre: (n, seconds, final) for pre, n, seconds, final in counted["effort"]}
    revisions = {rev: (jobs, frames) for rev, jobs, frames in counted["revisions"]}

    return {
        "project": project_id,
        "filters": {"label": label_id, "revision": revision, "since": _iso(since), "until": _iso(until)},
        "ground_truth": basis,
        "progress": _progress(counted, rated_frames, decisions, boxes),
        "decisions": _rates(decisions),
        "detection": tally.summary(),
        "corrections": _correction_mean(corrections),
        "ratings": rating_distribution_from_counts(ratings),
        "effort": effort_from_sums(effort),
        "per_label": _per_label(data, decisions, boxes, tally, label_id),
        "per_revision": [
            {
                "revision": rev,
                "jobs": jobs,
                "frames_pre_annotated": frames,
                **_rates([d for d in decisions if d[1] == rev]),
                **by_rev.get(rev, DetectionTally()).summary(),
                "corrections": _correction_mean([c for c in corrections if c[1] == rev]),
            }
            for rev, (jobs, frames) in sorted(revisions.items())
        ],
        "progress_over_time": counted["over_time"],
        "disagreement_by_frame": _disagreement_rows(data, per_frame),
    }


def _tally_by_revision(data, frames, label_id, per_frame, overall) -> dict:
    """Per revision tallies; a frame judged by one revision only reuses its overall result."""
    revisions_of = defaultdict(set)
    for image_id, rev in data.asked:
        if rev is not None and image_id in frames:
            revisions_of[image_id].add(rev)
    revisions = {rev for revs in revisions_of.values() for rev in revs}
    if len(revisions) == 1 and all(len(revs) == 1 for revs in revisions_of.values()):
        return {revisions.pop(): overall}  # one model revision judged every frame: the same figures
    tallies = defaultdict(DetectionTally)
    for (image_id, _), result in per_frame.items():
        if len(revisions_of[image_id]) == 1:
            tallies[next(iter(revisions_of[image_id]))].add(result)
    several = {image_id for image_id, revs in revisions_of.items() if len(revs) > 1}
    if several:
        for group, preds, truths in frame_inputs(data, frames=several, by_revision=True, label=label_id):
            tallies[group[1]].add(match_frame(preds, truths))
    return tallies


def _rates(decisions) -> dict:
    counts = defaultdict(int)
    for _, _, status, n in decisions:
        counts[status] += n
    return decision_rates_from_counts(counts)


def _correction_mean(corrections) -> dict:
    count = sum(row[2] for row in corrections)
    total = sum(row[3] or 0.0 for row in corrections)
    return {"count": count, "mean_iou": total / count if count else None}


def _counts_fetch(scope: dict) -> dict:
    """The SQL-side counting of `metrics_for_project`: nine small result sets."""
    project_id, since, until = scope["project_id"], scope["since"], scope["until"]
    return {
        "decisions": list(agg.decision_counts(**scope)),
        "corrections": list(agg.correction_sums(**scope)),
        "boxes": list(agg.box_counts(project_id)),
        "ratings": agg.rating_counts(project_id=project_id, since=since, until=until),
        "effort": list(agg.effort_sums(project_id=project_id, idle=IDLE_SECONDS, since=since, until=until)),
        "revisions": list(agg.revision_counts(**scope)),
        "status_counts": project_progress(project_id=project_id)["counts"],
        "pre_annotated": agg.pre_annotated_count(project_id),
        "over_time": _progress_over_time(project_id, since, until),
    }


def _progress(counted, rated_frames, decisions, boxes) -> dict:
    by_status = counted["status_counts"]
    return {
        "frames_total": sum(by_status.values()),
        "frames_with_feedback": rated_frames,
        "frames_submitted": by_status["submitted"] + by_status["approved"] + by_status["rejected"],
        "frames_approved": by_status["approved"],
        "frames_pre_annotated": counted["pre_annotated"],
        "by_status": by_status,
        **{f"{origin}_boxes": sum(n for _, o, deleted, _, n in boxes if o == origin and not deleted)
           for origin in agg.BOX_ORIGINS},
        "predictions": sum(row[3] for row in decisions),
        "tracked": _tracked(boxes),
    }


def _tracked(boxes) -> dict:
    """The tracker's proposals as their own source: live (of which a person confirmed by editing:
    `confirmed`), deleted by a person (`rejected`), and the share confirmed of those decided."""
    rows = [(deleted, keyframe, n) for _, origin, deleted, keyframe, n in boxes if origin == "tracked"]
    live = sum(n for deleted, _, n in rows if not deleted)
    confirmed = sum(n for deleted, keyframe, n in rows if not deleted and keyframe)
    rejected = sum(n for deleted, _, n in rows if deleted)
    decided = confirmed + rejected
    return {"boxes": live, "confirmed": confirmed, "pending": live - confirmed, "rejected": rejected,
            "confirm_rate": confirmed / decided if decided else None}


def _per_label(data, decisions, boxes, tally, label_id) -> list:
    live = defaultdict(int)
    for lab, origin, deleted, _, n in boxes:
        if not deleted:
            live[lab, origin] += n
    keys = [k for k in data.labels if label_id is None or k == label_id]
    extra = {row[0] for row in decisions} | tally.labels()
    keys += sorted((k for k in extra if k not in data.labels), key=str)
    rows = []
    for key in keys:
        name, color, _ = data.labels.get(key, (str(key).removeprefix("prompt:"), "#888888", None))
        row = {"label": key if key in data.labels else None, "name": name, "color": color}
        row.update(_rates([d for d in decisions if d[0] == key]))
        row.update(tally.summary(key))
        row.update({f"{origin}_boxes": live.get((key, origin), 0) for origin in agg.BOX_ORIGINS})
        rows.append(row)
    return rows


def _progress_over_time(project_id, since, until) -> list:
    """Per UTC day: frames first evaluated (first event or rating), frames approved, running totals."""
    evaluated = agg.evaluated_per_day(project_id=project_id, since=since, until=until)
    approved = agg.approved_per_day(project_id=project_id, since=since, until=until)
    rows, total_evaluated, total_approved = [], 0, 0
    for day in sorted(set(evaluated) | set(approved)):
        total_evaluated += evaluated.get(day, 0)
        total_approved += approved.get(day, 0)
        rows.append(
            {
                "date": day.isoformat(),
                "frames_evaluated": evaluated.get(day, 0),
                "frames_approved": approved.get(day, 0),
                "total_evaluated": total_evaluated,
                "total_approved": total_approved,
            }
        )
    return rows


def _disagreement_rows(data, per_frame, limit: int = DISAGREEMENT_ROWS) -> list:
    scored = [(result.disagreement, image_id, result) for (image_id, _), result in per_frame.items()]
    scored = [item for item in scored if item[0] > 0]
    scored.sort(key=lambda item: (-item[0], data.frames[item[1]][0], item[1]))
    return [
        {
            "image": image_id,
            "frame_index": data.frames[image_id][0],
            "status": data.frames[image_id][1],
            "disagreement": round(score, 4),
            "unmatched_predictions": len(result.unmatched_preds),
            "unmatched_human": len(result.unmatched_truths),
            "matched": len(result.matches),
            "mean_iou": result.mean_iou,
            "url": f"/images/{image_id}/",
        }
        for score, image_id, result in scored[:limit]
    ]


def _iso(value):
    return value.isoformat() if value is not None else None
