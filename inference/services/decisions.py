"""Human decisions on AI boxes: accept (maybe corrected), reject, and both for a whole frame.

Accepting creates a human-owned Box through `box_create(..., source="ai", prediction=...,
action="accept")`, so the box has history, versioning and live fan-out like any other.
The Prediction keeps the model's geometry; a correction lives only in the Box (status
`corrected`). Every decision is an AnnotationEvent and undoable (handlers registered below):
undoing an accept deletes the box and puts the prediction back to pending (or `superseded`, when a
newer detection run on the frame has answered its prompt since: services/superseding.py).

Locks follow annotations/services/locking.py: the frame row first, then the prediction, then
boxes — the same order as every other write to the frame, so a single decision, a whole-frame
decision and an undo queue at the frame instead of deadlocking.
"""

from django.utils import timezone

from annotations.broadcast import broadcast_on_commit, image_group
from annotations.errors import Conflict, InvalidInput
from annotations.models import AnnotationEvent, Box, BoxSource, EventAction, Image, Label
from annotations.selectors.boxes import user_brief
from annotations.services.boxes import COORDS, box_create, box_restore
from annotations.services.events import event_record, register_action
from annotations.services.frames import ensure_frame_editable
from annotations.services.history import group_key
from annotations.services.locking import frame_write
from annotations.signals import box_changed
from inference.confidence import prediction_hidden, thresholds_in_use
from inference.models import DECIDED_PREDICTION_STATUSES, JobPurpose, Prediction, PredictionStatus
from inference.selectors import labels_by_prompt, prediction_to_dict
from inference.services.superseding import prediction_reopened_status
from inference.services.track_matching import track_for_accept


def _decided_broadcast(*, image_id: int, predictions, user, action: str) -> None:
    payload = {
        "image": image_id,
        "predictions": [prediction_to_dict(p) for p in predictions],
        "user": user_brief(user),
        "action": action,
    }
    broadcast_on_commit(image_group(image_id), "detection.decided", payload)


def _lock(prediction: Prediction, *, user) -> Prediction:
    """The frame (which the user must be allowed to edit), then the prediction; returns it as committed."""
    ensure_frame_editable(image=prediction.image, user=user)
    list(Prediction.objects.select_for_update().filter(pk=prediction.pk).values_list("pk"))
    return Prediction.objects.select_related("image", "label").get(pk=prediction.pk)


def _decide(prediction: Prediction, status: str, user) -> None:
    decided = status in DECIDED_PREDICTION_STATUSES  # pending or superseded again: nobody's decision
    prediction.status = status
    prediction.decided_by = user if decided else None
    prediction.decided_at = timezone.now() if decided else None
    prediction.save(update_fields=["status", "decided_by", "decided_at"])


def _status_for(prediction: Prediction, box: Box) -> str:
    moved = any(abs(getattr(box, name) - getattr(prediction, name)) > 1e-6 for name in COORDS)
    relabelled = prediction.label_id is not None and box.label_id != prediction.label_id
    return PredictionStatus.CORRECTED if moved or relabelled else PredictionStatus.ACCEPTED


def _label_for(prediction: Prediction, label: Label | None) -> Label:
    if label is not None:
        if label.project_id != prediction.image.project_id:
            raise InvalidInput("That label belongs to another project.", label=["Unknown label."])
        return label
    found = prediction.label or labels_by_prompt(project_id=prediction.image.project_id).get(prediction.prompt)
    if found is None:
        raise InvalidInput(
            f"No label of this project has the prompt {prediction.prompt!r}; pass `label` to accept it.",
            label=["This field is required for this prediction."],
        )
    return found


def _require_pending(prediction: Prediction) -> None:
    if prediction.status == PredictionStatus.SUPERSEDED:
        raise Conflict("A newer detection run on this frame replaced this AI box.",
                       prediction=prediction_to_dict(prediction))
    if prediction.status != PredictionStatus.PENDING:
        raise Conflict(f"This AI box was already {prediction.status}.", prediction=prediction_to_dict(prediction))


@frame_write
def prediction_accept(*, prediction: Prediction, user, coords: dict | None = None, label: Label | None = None):
    """Accept an AI box as a human-owned Box; returns `(prediction, box)`.

    With `coords` (any of x_min, y_min, x_max, y_max) or a `label` that differ from the model's,
    the prediction becomes `corrected` and keeps the model's geometry; the Box holds the
    corrected one. A prediction already decided → Conflict (409).
    """
    locked = _lock(prediction, user=user)
    _require_pending(locked)
    chosen = _label_for(locked, label)
    unknown = set(coords or {}) - set(COORDS)
    if unknown:
        raise InvalidInput(f"Unknown coordinates: {', '.join(sorted(unknown))}.")
    geometry = {**locked.coords, **(coords or {})}
    box = box_create(
        image=locked.image, user=user, label=chosen, **geometry,
        source=BoxSource.AI, prediction=locked, action=EventAction.ACCEPT,
        track=track_for_accept(prediction=locked, label_id=chosen.pk),  # the track detect-across matched it to
    )
    _decide(locked, _status_for(locked, box), user)
    _decided_broadcast(image_id=locked.image_id, predictions=[locked], user=user, action="accept")
    return locked, box


@frame_write
def prediction_reject(*, prediction: Prediction, user) -> Prediction:
    """Reject an AI box; recorded in history (undo puts it back to pending). Already decided → 409."""
    locked = _lock(prediction, user=user)
    _require_pending(locked)
    _decide(locked, PredictionStatus.REJECTED, user)
    event_record(
        image=locked.image, user=user, action=EventAction.REJECT,
        before={"prediction": locked.pk, "status": PredictionStatus.PENDING.value},
        after={"prediction": locked.pk, "status": PredictionStatus.REJECTED.value},
    )
    _decided_broadcast(image_id=locked.image_id, predictions=[locked], user=user, action="reject")
    return locked


def _pending_ids(image: Image) -> list[int]:
    """The frame's pending AI boxes offered for review: not those the thresholds in use hide."""
    thresholds = thresholds_in_use(project_id=image.project_id)
    rows = (Prediction.objects.filter(image=image, status=PredictionStatus.PENDING, job__purpose=JobPurpose.DETECT)
            .order_by("id").values_list("pk", "label_id", "score"))
    return [pk for pk, label_id, score in rows
            if not prediction_hidden(Prediction(label_id=label_id, score=score), thresholds)]


@frame_write
def predictions_accept_all(*, image: Image, user) -> dict:
    """Accept every pending AI box of the frame that has a label (not those hidden by the confidence
    thresholds in use); one undo step for them all.

    Returns `{"accepted": [(prediction, box), ...], "skipped": [prediction, ...]}` — skipped are
    those whose prompt matches no label of the project. AI boxes someone decided meanwhile are
    left out, not a reason to refuse the rest: the pending ones are read under the frame lock.
    """
    ensure_frame_editable(image=image, user=user)
    accepted, skipped = [], []
    project_labels = labels_by_prompt(project_id=image.project_id)
    for pk in _pending_ids(image):
        prediction = Prediction.objects.select_related("image", "label").get(pk=pk)
        prediction.image = image  # the locked frame (its status is current)
        if prediction.label is None and prediction.prompt not in project_labels:
            skipped.append(prediction)
            continue
        accepted.append(prediction_accept(prediction=prediction, user=user))
    # One undo step for the whole accept-all, not one per box.
    events = AnnotationEvent.objects.filter(
        image=image, user=user, action=EventAction.ACCEPT, box__in=[box for _, box in accepted]
    ).order_by("id")
    group_key(list(events), "accept-all")
    return {"accepted": accepted, "skipped": skipped}


@frame_write
def predictions_reject_all(*, image: Image, user) -> list[Prediction]:
    """Reject every AI box of the frame still pending and shown (read under the frame lock); one history
    step per box."""
    ensure_frame_editable(image=image, user=user)
    return [prediction_reject(prediction=Prediction(pk=pk, image=image), user=user) for pk in _pending_ids(image)]


def prediction_follow_box(*, box: Box, user, **kwargs) -> None:
    """A human changed an accepted AI box: its prediction becomes `corrected` (and `accepted`
    again when the box is back on the model's geometry, e.g. after an undo). The prediction
    keeps the model's geometry. Connected to `annotations.signals.box_changed`."""
    if box.prediction_id is None:
        return
    prediction = Prediction.objects.select_for_update().filter(pk=box.prediction_id).first()
    if prediction is None or prediction.status not in (PredictionStatus.ACCEPTED, PredictionStatus.CORRECTED):
        return
    status = _status_for(prediction, box)
    if status != prediction.status:
        _decide(prediction, status, prediction.decided_by or user)
        _decided_broadcast(image_id=prediction.image_id, predictions=[prediction], user=user, action="correct")


# --- undo / redo (see annotations/services/history.py for the handler contract) ---

def _prediction_of(event, key="prediction") -> Prediction | None:
    pk = (event.after or {}).get(key)
    if pk is None:
        return None
    return Prediction.objects.select_for_update().filter(pk=pk).first()


def _undo_accept(*, event, box, user):
    if box is None:
        raise Conflict("The box of this decision no longer exists.")
    restored = box_restore(box=box, user=user, snapshot=None)
    prediction = _prediction_of(event)
    if prediction is not None:
        _decide(prediction, prediction_reopened_status(prediction), user)
        _decided_broadcast(image_id=prediction.image_id, predictions=[prediction], user=user, action="undo")
    return restored


def _redo_accept(*, event, box, user):
    if box is None:
        raise Conflict("The box of this decision no longer exists.")
    prediction = _prediction_of(event)
    if prediction is not None and prediction.status != PredictionStatus.PENDING:
        raise Conflict(f"This AI box was {prediction.status} since.", prediction=prediction_to_dict(prediction))
    restored = box_restore(box=box, user=user, snapshot=event.after)
    if prediction is not None:
        _decide(prediction, _status_for(prediction, restored), user)
        _decided_broadcast(image_id=prediction.image_id, predictions=[prediction], user=user, action="redo")
    return restored


def _set_rejected(*, event, user, rejected: bool, action: str):
    prediction = _prediction_of(event)
    if prediction is None:
        raise Conflict("This AI box no longer exists.")
    expected = PredictionStatus.REJECTED if rejected is False else PredictionStatus.PENDING
    if prediction.status != expected:
        raise Conflict(f"This AI box was {prediction.status} since.", prediction=prediction_to_dict(prediction))
    _decide(prediction, PredictionStatus.REJECTED if rejected else prediction_reopened_status(prediction), user)
    _decided_broadcast(image_id=prediction.image_id, predictions=[prediction], user=user, action=action)
    return None


def _undo_reject(*, event, box, user):
    return _set_rejected(event=event, user=user, rejected=False, action="undo")


def _redo_reject(*, event, box, user):
    return _set_rejected(event=event, user=user, rejected=True, action="redo")


def decisions_register() -> None:
    """Make accept/reject undoable and let an AI box follow its box's edits (InferenceConfig.ready())."""
    register_action(EventAction.ACCEPT, undo=_undo_accept, redo=_redo_accept)
    register_action(EventAction.REJECT, undo=_undo_reject, redo=_redo_reject)
    box_changed.connect(prediction_follow_box, sender=Box, dispatch_uid="inference.prediction_follow_box")
