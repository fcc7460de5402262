"""The rows the AI-audit metrics are computed from, loaded once per call (values_list, no per-frame query):
predictions of the newest finished jobs, live boxes and labels of the frames compared, and the
per-frame disagreements the review queue orders by. See `feedback.selectors` for what is compared.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from annotations.models import Box, Image, ImageStatus, Label
from feedback import aggregates as agg
from feedback.metrics import detection
from inference.models import DECIDED_PREDICTION_STATUSES

REVIEWED = frozenset({ImageStatus.APPROVED, ImageStatus.REJECTED})
DECIDED = frozenset(DECIDED_PREDICTION_STATUSES)
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
    keys, label_keys, Pred, Truth = {}, {}, detection.Pred, detection.Truth
    by_frame_job_prompt, decided = data.preds, data.decided_frames
    for pk, job, image_id, label_id, prompt, x0, y0, x1, y1, score, status in preds:
        key = keys.get(prompt) or keys.setdefault(prompt, prompt.strip().lower())
        label_key = label_keys.get((label_id, key))
        if label_key is None:
            label_key = label_keys[(label_id, key)] = data.label_key(label_id, key)
        by_frame_job_prompt[(image_id, job, key)].append(Pred(label_key, (x0, y0, x1, y1), score, status, pk))
        if status in DECIDED:  # a person decided it (superseded boxes nobody did)
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
    _, per_frame = detection.evaluate(frame_inputs(data, frames=frames))
    return {image_id: result for (image_id, _), result in per_frame.items()}
