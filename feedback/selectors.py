"""Reads that feed `feedback.metrics`: a fixed handful of streamed queries per call.

`metrics_for_project` never runs one query per frame: it streams the project's labels,
frames, finished detection jobs, predictions, live boxes, feedback and events once each
(values_list + iterator), then matches in Python with the pure functions.

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
from dataclasses import dataclass, field

from annotations.models import AnnotationEvent, Box, Image, ImageStatus, Label
from feedback import metrics as m
from feedback.models import FrameFeedback
from inference.models import DetectionJob, JobStatus, Prediction

REVIEWED = frozenset({ImageStatus.APPROVED, ImageStatus.REJECTED})
CHUNK = 5000
DISAGREEMENT_ROWS = 20


@dataclass
class ProjectData:
    """The rows the metrics need, as plain Python; loaded with five queries."""

    labels: dict = field(default_factory=dict)  # id -> (name, color, prompt key)
    label_by_prompt: dict = field(default_factory=dict)
    frames: dict = field(default_factory=dict)  # id -> (frame_index, status, updated_at)
    jobs: dict = field(default_factory=dict)  # job id -> revision (jobs inside the filters)
    newest: dict = field(default_factory=dict)  # (image, revision, prompt) -> newest job id
    newest_any: dict = field(default_factory=dict)  # (image, prompt) -> newest job id of any revision
    asked: dict = field(default_factory=lambda: defaultdict(set))  # (image, revision|None) -> prompts
    preds: list = field(default_factory=list)  # (id, job, image, label key, prompt key, box, score, status)
    boxes: dict = field(default_factory=lambda: defaultdict(list))  # image -> [(label id, box, prediction id)]
    pre_annotated: set = field(default_factory=set)  # frames with any finished job (no filter)
    decided_frames: set = field(default_factory=set)

    def label_key(self, label_id, prompt_key: str):
        if label_id is not None:
            return label_id
        return self.label_by_prompt.get(prompt_key, f"prompt:{prompt_key}")


def project_data_load(*, project_id: int, revision=None, since=None, until=None, image_ids=None) -> ProjectData:
    """Stream the project's rows once each, optionally for some frames only (`image_ids`)."""
    data = ProjectData()

    def only(queryset, field_name="image_id"):
        return queryset if image_ids is None else queryset.filter(**{f"{field_name}__in": image_ids})

    for pk, name, color, prompt in Label.objects.filter(project_id=project_id).values_list("id", "name", "color", "prompt"):
        key = (prompt or name).strip().lower()
        data.labels[pk] = (name, color, key)
        data.label_by_prompt.setdefault(key, pk)

    frames = only(Image.objects.filter(project_id=project_id), "id").order_by()
    for pk, index, status, updated in frames.values_list("id", "frame_index", "status", "updated_at").iterator(CHUNK):
        data.frames[pk] = (index, status, updated)

    jobs = only(DetectionJob.objects.filter(image__project_id=project_id, status=JobStatus.DONE)).order_by()
    for pk, image_id, rev, prompts, created in jobs.values_list(
        "id", "image_id", "revision", "prompts", "created_at"
    ).iterator(CHUNK):
        data.pre_annotated.add(image_id)
        if (revision is not None and rev != revision) or (since and created < since) or (until and created >= until):
            continue
        data.jobs[pk] = rev
        for prompt in prompts or ():
            key = str(prompt).strip().lower()
            data.asked[(image_id, rev)].add(key)
            data.asked[(image_id, None)].add(key)
            if pk > data.newest.get((image_id, rev, key), 0):
                data.newest[(image_id, rev, key)] = pk
            if pk > data.newest_any.get((image_id, key), 0):
                data.newest_any[(image_id, key)] = pk

    preds = only(Prediction.objects.filter(image__project_id=project_id, job__status=JobStatus.DONE)).order_by()
    if revision is not None:
        preds = preds.filter(job__revision=revision)
    if since:
        preds = preds.filter(job__created_at__gte=since)
    if until:
        preds = preds.filter(job__created_at__lt=until)
    for pk, job, image_id, label_id, prompt, x0, y0, x1, y1, score, status in preds.values_list(
        "id", "job_id", "image_id", "label_id", "prompt", "x_min", "y_min", "x_max", "y_max", "score", "status"
    ).iterator(CHUNK):
        key = prompt.strip().lower()
        data.preds.append((pk, job, image_id, data.label_key(label_id, key), key, (x0, y0, x1, y1), score, status))
        if status != "pending":
            data.decided_frames.add(image_id)

    boxes = only(Box.objects.filter(image__project_id=project_id, deleted=False)).order_by()
    for image_id, label_id, x0, y0, x1, y1, prediction in boxes.values_list(
        "image_id", "label_id", "x_min", "y_min", "x_max", "y_max", "prediction_id"
    ).iterator(CHUNK):
        data.boxes[image_id].append((label_id, (x0, y0, x1, y1), prediction))
    return data


def frame_inputs(data: ProjectData, *, frames, by_revision: bool = False, label=None):
    """Yield `((frame, revision or None), preds, truths)` for every pre-annotated frame in `frames`.

    Without `by_revision` a frame is judged on the newest answer per prompt of any revision.
    """
    chosen = defaultdict(list)
    for pk, job, image_id, key, prompt, box, score, status in data.preds:
        if image_id not in frames or (label is not None and key != label):
            continue
        rev = data.jobs[job]
        if by_revision:
            if data.newest.get((image_id, rev, prompt)) != job:
                continue
            group = (image_id, rev)
        else:
            if data.newest_any.get((image_id, prompt)) != job:
                continue
            group = (image_id, None)
        chosen[group].append(m.Pred(key, box, score, status, pk))
    groups = sorted(
        (g for g in data.asked if g[0] in frames and (g[1] is not None) == by_revision), key=lambda g: (g[0], str(g[1]))
    )
    for group in groups:
        asked = data.asked[group]
        truths = [
            m.Truth(label_id, box)
            for label_id, box, _ in data.boxes.get(group[0], ())
            if (label is None or label_id == label) and label_id in data.labels and data.labels[label_id][2] in asked
        ]
        yield group, chosen.get(group, []), truths


def evaluated_frames(data: ProjectData, feedback_frames: set) -> tuple[str, set]:
    """The frames whose live boxes are the ground truth, and which rule chose them."""
    reviewed = {pk for pk, (_, status, _) in data.frames.items() if status in REVIEWED}
    judged = {pk for pk, _ in data.asked}
    if reviewed & judged:
        return "reviewed", reviewed
    evaluated = (set(feedback_frames) | set(data.boxes) | data.decided_frames) & set(data.frames)
    return "evaluated", evaluated


def frame_disagreements(*, project_id: int, image_ids) -> dict:
    """`{image_id: FrameEval}` of the given frames (model's newest answer vs live boxes), in 5 queries."""
    data = project_data_load(project_id=project_id, image_ids=list(image_ids))
    frames = set(data.frames)
    _, per_frame = m.evaluate(frame_inputs(data, frames=frames))
    return {image_id: result for (image_id, _), result in per_frame.items()}


def metrics_for_project(*, project, label=None, revision=None, since=None, until=None) -> dict:
    """The AI-audit metrics of a project as one plain dict (see `feedback.metrics`).

    `label` (a Label or its id) and `revision` (DetectionJob.revision) narrow the
    predictions and boxes compared; `since`/`until` (aware datetimes, until exclusive)
    narrow jobs, events and ratings. Nine queries whatever the project's size.
    """
    project_id = project.pk if hasattr(project, "pk") else int(project)
    label_id = getattr(label, "pk", label)
    data = project_data_load(project_id=project_id, revision=revision, since=since, until=until)
    feedback = _feedback_rows(project_id)
    events = _event_rows(project_id, since, until)

    basis, truth_frames = evaluated_frames(data, {image_id for image_id, *_ in feedback})
    tally, per_frame = m.evaluate(frame_inputs(data, frames=truth_frames, label=label_id))
    revisions = sorted({rev for rev in data.jobs.values()})
    if len(revisions) > 1:
        by_rev, _ = _tally_by_revision(data, truth_frames, label_id)
    else:  # one revision: its figures are the overall ones
        by_rev = {rev: tally for rev in revisions}

    preds = [p for p in data.preds if label_id is None or p[3] == label_id]
    live = [(img, b) for img, rows in data.boxes.items() for b in rows if label_id is None or b[0] == label_id]
    boxes_by_prediction = {b[2]: b[1] for _, b in live if b[2] is not None}
    ratings = [r for _, r, _, updated in feedback if (not since or updated >= since) and (not until or updated < until)]

    return {
        "project": project_id,
        "filters": {"label": label_id, "revision": revision, "since": _iso(since), "until": _iso(until)},
        "ground_truth": basis,
        "progress": _progress(data, feedback, preds, live),
        "decisions": m.decision_rates(p[7] for p in preds),
        "detection": tally.summary(),
        "corrections": _corrections(preds, boxes_by_prediction),
        "ratings": m.rating_distribution(ratings),
        "effort": m.effort(_effort_frames(data, events)),
        "per_label": _per_label(data, preds, live, tally, label_id),
        "per_revision": [_revision_row(data, rev, by_rev[rev], preds, boxes_by_prediction) for rev in revisions],
        "progress_over_time": _progress_over_time(data, feedback, events, since, until),
        "disagreement_by_frame": _disagreement_rows(data, per_frame),
    }


def _feedback_rows(project_id):
    rows = FrameFeedback.objects.filter(image__project_id=project_id).order_by()
    return list(rows.values_list("image_id", "rating", "created_at", "updated_at").iterator(CHUNK))


def _event_rows(project_id, since, until):
    rows = AnnotationEvent.objects.filter(image__project_id=project_id, user_id__isnull=False).order_by()
    if since:
        rows = rows.filter(created_at__gte=since)
    if until:
        rows = rows.filter(created_at__lt=until)
    return list(rows.values_list("image_id", "user_id", "action", "created_at").iterator(CHUNK))


def _tally_by_revision(data, frames, label_id):
    tallies = defaultdict(m.DetectionTally)
    per_frame = {}
    for group, preds, truths in frame_inputs(data, frames=frames, by_revision=True, label=label_id):
        result = m.match_frame(preds, truths)
        tallies[group[1]].add(result)
        per_frame[group] = result
    return tallies, per_frame


def _progress(data, feedback, preds, live) -> dict:
    by_status = {status: 0 for status in ImageStatus.values}
    for _, status, _ in data.frames.values():
        by_status[status] += 1
    return {
        "frames_total": len(data.frames),
        "frames_with_feedback": len({row[0] for row in feedback}),
        "frames_submitted": by_status["submitted"] + by_status["approved"] + by_status["rejected"],
        "frames_approved": by_status["approved"],
        "frames_pre_annotated": len(data.pre_annotated),
        "by_status": by_status,
        "human_boxes": sum(1 for _, b in live if b[2] is None),
        "ai_boxes": sum(1 for _, b in live if b[2] is not None),
        "predictions": len(preds),
    }


def _corrections(preds, boxes_by_prediction) -> dict:
    pairs = [(p[5], boxes_by_prediction[p[0]]) for p in preds if p[7] == "corrected" and p[0] in boxes_by_prediction]
    return m.correction_iou(pairs)


def _per_label(data, preds, live, tally, label_id) -> list:
    statuses, human, ai = defaultdict(list), defaultdict(int), defaultdict(int)
    for p in preds:
        statuses[p[3]].append(p[7])
    for _, (lab, _, prediction) in live:
        (ai if prediction is not None else human)[lab] += 1
    keys = [k for k in data.labels if label_id is None or k == label_id]
    keys += sorted({k for k in set(statuses) | tally.labels() if k not in data.labels}, key=str)
    rows = []
    for key in keys:
        name, color, _ = data.labels.get(key, (str(key).removeprefix("prompt:"), "#888888", None))
        row = {"label": key if key in data.labels else None, "name": name, "color": color}
        row.update(m.decision_rates(statuses.get(key, ())))
        row.update(tally.summary(key))
        row.update(human_boxes=human.get(key, 0), ai_boxes=ai.get(key, 0))
        rows.append(row)
    return rows


def _revision_row(data, rev, tally, preds, boxes_by_prediction) -> dict:
    mine = [p for p in preds if data.jobs.get(p[1]) == rev]
    row = {"revision": rev, "jobs": sum(1 for r in data.jobs.values() if r == rev)}
    row["frames_pre_annotated"] = len({image_id for image_id, r in data.asked if r == rev})
    row.update(m.decision_rates(p[7] for p in mine))
    row.update(tally.summary())
    row["corrections"] = _corrections(mine, boxes_by_prediction)
    return row


def _effort_frames(data, events):
    times = defaultdict(list)
    for image_id, user_id, _, created in events:
        times[(image_id, user_id)].append(created.timestamp())
    seconds = defaultdict(float)
    for (image_id, _), stamps in times.items():
        seconds[image_id] += m.active_seconds(stamps)
    for image_id, total in seconds.items():
        yield image_id in data.pre_annotated, total, len(data.boxes.get(image_id, ()))


def _progress_over_time(data, feedback, events, since, until) -> list:
    """Per UTC day: frames first evaluated that day, frames approved that day, running totals."""
    first, reviewed = {}, {}
    for image_id, _, created, _ in feedback:
        if image_id not in first or created < first[image_id]:
            first[image_id] = created
    for image_id, _, action, created in events:
        if image_id not in first or created < first[image_id]:
            first[image_id] = created
        if action == "review" and (image_id not in reviewed or created > reviewed[image_id]):
            reviewed[image_id] = created
    days = defaultdict(lambda: [0, 0])
    for when in first.values():
        days[when.date()][0] += 1
    for image_id, (_, status, updated) in data.frames.items():
        if status == ImageStatus.APPROVED:
            when = reviewed.get(image_id, updated)  # no review event recorded: the last change
            if (not since or when >= since) and (not until or when < until):
                days[when.date()][1] += 1
    rows, evaluated, approved = [], 0, 0
    for day in sorted(days):
        evaluated += days[day][0]
        approved += days[day][1]
        rows.append(
            {
                "date": day.isoformat(),
                "frames_evaluated": days[day][0],
                "frames_approved": days[day][1],
                "total_evaluated": evaluated,
                "total_approved": approved,
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
