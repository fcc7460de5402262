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

import gc
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection

from annotations.models import Box, Image, ImageStatus, Label
from annotations.selectors.live import project_progress
from feedback import aggregates as agg
from feedback import metrics as m

REVIEWED = frozenset({ImageStatus.APPROVED, ImageStatus.REJECTED})
DISAGREEMENT_ROWS = 20


@dataclass
class ProjectData:
    """The rows matching needs (geometry), as plain Python; loaded with five queries."""

    labels: dict = field(default_factory=dict)  # id -> (name, color, prompt key)
    label_by_prompt: dict = field(default_factory=dict)
    frames: dict = field(default_factory=dict)  # id -> (frame_index, status)
    jobs: dict = field(default_factory=dict)  # job id -> revision (jobs inside the filters)
    newest: dict = field(default_factory=dict)  # (image, revision, prompt) -> newest job id
    newest_any: dict = field(default_factory=dict)  # (image, prompt) -> newest job id of any revision
    asked: dict = field(default_factory=lambda: defaultdict(set))  # (image, revision|None) -> prompts
    preds: dict = field(default_factory=lambda: defaultdict(list))  # (image, job, prompt key) -> [Pred]
    truths: dict = field(default_factory=lambda: defaultdict(list))  # image -> [(prompt key, Truth)]
    decided_frames: set = field(default_factory=set)

    def label_key(self, label_id, prompt_key: str):
        if label_id is not None:
            return label_id
        return self.label_by_prompt.get(prompt_key, f"prompt:{prompt_key}")


def labels_load(project_id: int, data: ProjectData) -> None:
    for pk, name, color, prompt in Label.objects.filter(project_id=project_id).values_list("id", "name", "color", "prompt"):
        key = (prompt or name).strip().lower()
        data.labels[pk] = (name, color, key)
        data.label_by_prompt.setdefault(key, pk)


def project_data_load(*, project_id: int, revision=None, since=None, until=None, image_ids=None, statuses=None):
    """Fetch labels, frames, jobs, predictions and live boxes (5 queries) of the frames in scope:
    `image_ids` and/or frame `statuses` narrow it, the filters narrow jobs and predictions."""
    data = ProjectData()
    scope = {"project_id": project_id, "revision": revision, "since": since, "until": until}

    def only(queryset, prefix="image__"):
        if image_ids is not None:
            queryset = queryset.filter(**{f"{prefix}id__in": image_ids})
        if statuses is not None:
            queryset = queryset.filter(**{f"{prefix}status__in": statuses})
        return queryset

    labels_load(project_id, data)
    frames = only(Image.objects.filter(project_id=project_id).order_by(), prefix="")
    for pk, index, status in frames.values_list("id", "frame_index", "status"):
        data.frames[pk] = (index, status)

    for pk, image_id, rev, prompts in only(agg.jobs_in_scope(**scope)).values_list("id", "image_id", "revision", "prompts"):
        data.jobs[pk] = rev
        for prompt in prompts or ():
            key = str(prompt).strip().lower()
            data.asked[(image_id, rev)].add(key)
            data.asked[(image_id, None)].add(key)
            if pk > data.newest.get((image_id, rev, key), 0):
                data.newest[(image_id, rev, key)] = pk
            if pk > data.newest_any.get((image_id, key), 0):
                data.newest_any[(image_id, key)] = pk

    preds = agg.fetch_rows(only(agg.predictions_in_scope(**scope)).values_list(
        "id", "job_id", "image_id", "label_id", "prompt", "x_min", "y_min", "x_max", "y_max", "score", "status"
    ))
    # The hot loop of the metrics (one pass per prediction): names bound locally, keys memoised.
    keys, label_keys, Pred, Truth = {}, {}, m.Pred, m.Truth
    by_frame_job_prompt, decided = data.preds, data.decided_frames
    for pk, job, image_id, label_id, prompt, x0, y0, x1, y1, score, status in preds:
        key = keys.get(prompt) or keys.setdefault(prompt, prompt.strip().lower())
        label_key = label_keys.get((label_id, key))
        if label_key is None:
            label_key = label_keys[(label_id, key)] = data.label_key(label_id, key)
        by_frame_job_prompt[(image_id, job, key)].append(Pred(label_key, (x0, y0, x1, y1), score, status, pk))
        if status != "pending":
            decided.add(image_id)

    boxes = only(Box.objects.filter(image__project_id=project_id, deleted=False).order_by())
    boxes = agg.fetch_rows(boxes.values_list("image_id", "label_id", "x_min", "y_min", "x_max", "y_max"))
    for image_id, label_id, x0, y0, x1, y1 in boxes:
        if label_id in data.labels:
            data.truths[image_id].append((data.labels[label_id][2], Truth(label_id, (x0, y0, x1, y1))))
    return data


def frame_inputs(data: ProjectData, *, frames, by_revision: bool = False, label=None):
    """Yield `((frame, revision or None), preds, truths)` for every pre-annotated frame in `frames`.

    The model's answer per asked prompt is the newest job's (of that revision with
    `by_revision`, else of any); the truths are the live boxes whose label's prompt was asked.
    """
    groups = sorted(
        (g for g in data.asked if g[0] in frames and (g[1] is not None) == by_revision), key=lambda g: (g[0], str(g[1]))
    )
    for group in groups:
        image_id, rev = group
        asked = data.asked[group]
        preds = []
        for prompt in asked:
            job = data.newest.get((image_id, rev, prompt)) if by_revision else data.newest_any.get((image_id, prompt))
            preds.extend(data.preds.get((image_id, job, prompt), ()))
        truths = [t for key, t in data.truths.get(image_id, ()) if key in asked]
        if label is not None:
            preds = [p for p in preds if p.label == label]
            truths = [t for t in truths if t.label == label]
        preds.sort(key=lambda p: p.id)  # a stable order for equal scores, whatever the prompt order
        yield group, preds, truths


def frame_disagreements(*, project_id: int, image_ids) -> dict:
    """`{image_id: FrameEval}` of the given frames (model's newest answer vs live boxes), in 5 queries."""
    data = project_data_load(project_id=project_id, image_ids=list(image_ids))
    frames = set(data.frames)
    _, per_frame = m.evaluate(frame_inputs(data, frames=frames))
    return {image_id: result for (image_id, _), result in per_frame.items()}


_COUNTING_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="metrics-counting")


class _Done:
    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


def _on_own_connection(fn, *args):
    try:
        return fn(*args)
    finally:
        connection.close()  # this thread outlives the request: give the connection back now


def alongside(fn, *args):
    """Start `fn(*args)` on another thread and database connection, so PostgreSQL counts while
    this thread matches boxes in Python; `.result()` waits for it.

    Inside a transaction it runs here instead, at once: another connection would not see the
    transaction's uncommitted rows (tests, or a caller that wrote first).
    """
    if connection.in_atomic_block:
        return _Done(fn(*args))
    return _COUNTING_THREADS.submit(_on_own_connection, fn, *args)


@contextmanager
def cyclic_gc_paused():
    """Hold the cycle collector while ~100,000 small tuples are built and dropped.

    They hold no cycles, yet each allocation burst triggers full generational passes over
    them: half of the load time on a 10k-frame project. Reference counting still frees
    everything; the collector runs again on exit, as before.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
    tally, per_frame = m.evaluate(frame_inputs(data, frames=truth_frames, label=label_id))
    by_rev = _tally_by_revision(data, truth_frames, label_id, per_frame, tally)

    counted = counting.result()
    decisions = [(data.label_key(lab, p.strip().lower()), rev, st, n) for lab, p, rev, st, n in counted["decisions"]]
    decisions = [row for row in decisions if label_id is None or row[0] == label_id]
    corrections = [(data.label_key(lab, p.strip().lower()), rev, n, total) for lab, p, rev, n, total in counted["corrections"]]
    corrections = [row for row in corrections if label_id is None or row[0] == label_id]
    boxes = [row for row in counted["boxes"] if label_id is None or row[0] == label_id]
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
        "ratings": m.rating_distribution_from_counts(ratings),
        "effort": m.effort_from_sums(effort),
        "per_label": _per_label(data, decisions, boxes, tally, label_id),
        "per_revision": [
            {
                "revision": rev,
                "jobs": jobs,
                "frames_pre_annotated": frames,
                **_rates([d for d in decisions if d[1] == rev]),
                **by_rev.get(rev, m.DetectionTally()).summary(),
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
    tallies = defaultdict(m.DetectionTally)
    for (image_id, _), result in per_frame.items():
        if len(revisions_of[image_id]) == 1:
            tallies[next(iter(revisions_of[image_id]))].add(result)
    several = {image_id for image_id, revs in revisions_of.items() if len(revs) > 1}
    if several:
        for group, preds, truths in frame_inputs(data, frames=several, by_revision=True, label=label_id):
            tallies[group[1]].add(m.match_frame(preds, truths))
    return tallies


def _rates(decisions) -> dict:
    counts = defaultdict(int)
    for _, _, status, n in decisions:
        counts[status] += n
    return m.decision_rates_from_counts(counts)


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
        "effort": list(agg.effort_sums(project_id=project_id, idle=m.IDLE_SECONDS, since=since, until=until)),
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
        "human_boxes": sum(n for _, from_model, n in boxes if not from_model),
        "ai_boxes": sum(n for _, from_model, n in boxes if from_model),
        "predictions": sum(row[3] for row in decisions),
    }


def _per_label(data, decisions, boxes, tally, label_id) -> list:
    human, ai = defaultdict(int), defaultdict(int)
    for lab, from_model, n in boxes:
        (ai if from_model else human)[lab] += n
    keys = [k for k in data.labels if label_id is None or k == label_id]
    extra = {row[0] for row in decisions} | tally.labels()
    keys += sorted((k for k in extra if k not in data.labels), key=str)
    rows = []
    for key in keys:
        name, color, _ = data.labels.get(key, (str(key).removeprefix("prompt:"), "#888888", None))
        row = {"label": key if key in data.labels else None, "name": name, "color": color}
        row.update(_rates([d for d in decisions if d[0] == key]))
        row.update(tally.summary(key))
        row.update(human_boxes=human.get(key, 0), ai_boxes=ai.get(key, 0))
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
