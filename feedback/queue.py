"""What to annotate next: the frame a user should open, reserved for a short while.

Order, among frames still to do (new, in progress, or rejected back to the annotator):
1. frames nobody has evaluated yet (no event, rating, decided prediction or box), then frames
   evaluated but never pre-annotated by the model — frame_index order within each;
2. then the pre-annotated, evaluated frames by AI–human disagreement, most first
   (`feedback.metrics.detection.FrameEval.disagreement`), frame_index breaking ties.
Frames another user is viewing right now (presence) are skipped. `next_frame_reserve` (POST)
reserves the chosen frame in the cache for `RESERVATION_SECONDS` (Redis when REDIS_URL is set,
so every web process sees it), keyed by frame: two users asking at once get different frames,
and the caller asking again gets the same one back while it is still to do. `next_frame_peek`
(GET) answers which frame that would be and writes nothing.
"""

from django.core.cache import cache
from django.db.models import Exists, OuterRef

from annotations.models import AnnotationEvent, Box, Image, ImageStatus
from annotations.services.presence import viewers_for_project
from annotations.models import FrameFeedback
from feedback.loading import frame_disagreements
from inference.models import DECIDED_PREDICTION_STATUSES, DetectionJob, JobStatus, Prediction

RESERVATION_SECONDS = 120
TO_DO = (ImageStatus.NEW, ImageStatus.IN_PROGRESS, ImageStatus.REJECTED)
BATCH = 50


def _frame_key(project_id: int, image_id: int) -> str:
    return f"hitl:next:{project_id}:frame:{image_id}"


def _user_key(project_id: int, user_id: int) -> str:
    return f"hitl:next:{project_id}:user:{user_id}"


def frames_viewed_by_others(*, project_id: int, user_id: int) -> set[int]:
    """Frames someone other than `user_id` has open, from the presence registry."""
    viewers = viewers_for_project(project_id)
    return {int(image_id) for image_id, users in viewers.items() if any(u["id"] != user_id for u in users)}


def queue_for_project(*, project_id: int) -> list[dict]:
    """Every frame still to do, in the order it should be done (see the module docstring)."""
    frame = OuterRef("pk")
    rows = (
        Image.objects.filter(project_id=project_id, status__in=TO_DO)
        .annotate(
            pre=Exists(DetectionJob.objects.filter(image=frame, status=JobStatus.DONE)),
            evaluated=Exists(AnnotationEvent.objects.filter(image=frame, user__isnull=False))
            | Exists(FrameFeedback.objects.filter(image=frame))
            | Exists(Box.objects.filter(image=frame, deleted=False))
            | Exists(Prediction.objects.filter(image=frame, status__in=DECIDED_PREDICTION_STATUSES)),
        )
        .order_by("frame_index", "id")
        .values_list("id", "frame_index", "pre", "evaluated")
    )
    first, judged = [], []
    for pk, index, pre, evaluated in rows.iterator(5000):
        if not evaluated:
            first.append({"id": pk, "frame_index": index, "reason": "not_evaluated", "disagreement": None})
        elif not pre:
            first.append({"id": pk, "frame_index": index, "reason": "not_pre_annotated", "disagreement": None})
        else:
            judged.append({"id": pk, "frame_index": index, "reason": "disagreement", "disagreement": None})
    first.sort(key=lambda f: (f["reason"] != "not_evaluated", f["frame_index"], f["id"]))
    if judged:
        scores = frame_disagreements(project_id=project_id, image_ids=[f["id"] for f in judged])
        for item in judged:
            result = scores.get(item["id"])
            item["disagreement"] = round(result.disagreement, 4) if result else 0.0
        judged.sort(key=lambda f: (-f["disagreement"], f["frame_index"], f["id"]))
    return first + judged


def next_frame_peek(*, project_id: int, user) -> dict | None:
    """The frame `next_frame_reserve` would hand the caller now, or None; reserves nothing
    (`reserved_seconds` 0)."""
    queue = queue_for_project(project_id=project_id)
    mine = cache.get(_user_key(project_id, user.pk))
    by_id = {item["id"]: item for item in queue}
    if mine in by_id and cache.get(_frame_key(project_id, mine)) == user.pk:
        return {**by_id[mine], "reserved_seconds": 0}
    busy = frames_viewed_by_others(project_id=project_id, user_id=user.pk)
    candidates = [item for item in queue if item["id"] not in busy]
    for start in range(0, len(candidates), BATCH):
        batch = candidates[start : start + BATCH]
        holders = cache.get_many([_frame_key(project_id, item["id"]) for item in batch])
        for item in batch:
            if holders.get(_frame_key(project_id, item["id"])) in (None, user.pk):
                return {**item, "reserved_seconds": 0}
    return None


def next_frame_reserve(*, project_id: int, user) -> dict | None:
    """Reserve and return the caller's next frame (`{id, frame_index, reason, disagreement}`), or None.

    The caller's own live reservation comes back first while the frame is still to do;
    otherwise the first frame of `queue_for_project` that nobody else views or holds.
    """
    queue = queue_for_project(project_id=project_id)
    busy = frames_viewed_by_others(project_id=project_id, user_id=user.pk)
    mine = cache.get(_user_key(project_id, user.pk))
    by_id = {item["id"]: item for item in queue}
    if mine in by_id and cache.get(_frame_key(project_id, mine)) == user.pk:
        return _hold(project_id, user.pk, by_id[mine])
    candidates = [item for item in queue if item["id"] not in busy]
    for start in range(0, len(candidates), BATCH):
        batch = candidates[start : start + BATCH]
        holders = cache.get_many([_frame_key(project_id, item["id"]) for item in batch])
        for item in batch:
            key = _frame_key(project_id, item["id"])
            holder = holders.get(key)
            if holder == user.pk or (holder is None and cache.add(key, user.pk, RESERVATION_SECONDS)):
                if mine is not None and mine != item["id"]:
                    _release(project_id, user.pk, mine)
                return _hold(project_id, user.pk, item)
    return None


def _hold(project_id: int, user_id: int, item: dict) -> dict:
    cache.set(_frame_key(project_id, item["id"]), user_id, RESERVATION_SECONDS)
    cache.set(_user_key(project_id, user_id), item["id"], RESERVATION_SECONDS)
    return {**item, "reserved_seconds": RESERVATION_SECONDS}


def _release(project_id: int, user_id: int, image_id: int) -> None:
    key = _frame_key(project_id, image_id)
    if cache.get(key) == user_id:
        cache.delete(key)
