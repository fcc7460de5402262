"""Reads of boxes and their history, shared by the API, the websocket payloads and exports.

`box_to_dict` is the one box shape of DESIGN.md (plus a few additive fields); the REST
output, the websocket messages and the 409 `current` box all come from it.
"""

from django.db.models import QuerySet

from annotations.models import AnnotationEvent, Box, Image


def boxes_for_image(*, image: Image, include_deleted: bool = False) -> QuerySet[Box]:
    """The frame's boxes, with everything `box_to_dict` reads joined in (one query per page)."""
    queryset = Box.objects.filter(image=image).select_related("label", "created_by", "updated_by").order_by("id")
    return queryset if include_deleted else queryset.filter(deleted=False)


def history_for_image(*, image: Image, user=None) -> QuerySet[AnnotationEvent]:
    """The frame's events, newest first; only `user`'s when given."""
    queryset = AnnotationEvent.objects.filter(image=image).select_related("user").order_by("-id")
    return queryset if user is None else queryset.filter(user=user)


def user_brief(user) -> dict | None:
    return None if user is None else {"id": user.pk, "username": user.get_username()}


def _iso(value) -> str | None:
    # Same rendering as DRF's DateTimeField, so REST and websocket payloads match byte for byte.
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _username(box: Box, field: str) -> str | None:
    if getattr(box, f"{field}_id") is None:
        return None
    return getattr(box, field).get_username()


def box_to_dict(box: Box) -> dict:
    """The box shape of DESIGN.md: `{id, image, label, x_min, y_min, x_max, y_max, source, prediction,
    track, keyframe, version, created_by, updated_by, updated_at}` plus `label_name`, `label_color`, `deleted`,
    `created_by_username`, `updated_by_username`."""
    return {
        **box_snapshot(box),
        "image": box.image_id,
        "label_name": box.label.name,
        "label_color": box.label.color,
        "created_by": box.created_by_id,
        "created_by_username": _username(box, "created_by"),
        "updated_by": box.updated_by_id,
        "updated_by_username": _username(box, "updated_by"),
        "updated_at": _iso(box.updated_at),
    }


def box_snapshot(box: Box) -> dict:
    """What an AnnotationEvent keeps of a box in `before`/`after`: enough to restore it and to
    tell whether anyone changed it since (`version`)."""
    return {
        "id": box.pk,
        "label": box.label_id,
        "x_min": box.x_min,
        "y_min": box.y_min,
        "x_max": box.x_max,
        "y_max": box.y_max,
        "source": box.source,
        "prediction": box.prediction_id,
        "track": box.track_id,
        "keyframe": box.keyframe,
        "version": box.version,
        "deleted": box.deleted,
    }


def event_to_dict(event: AnnotationEvent) -> dict:
    """An AnnotationEvent as the history endpoint and undo/redo responses show it."""
    return {
        "id": event.pk,
        "image": event.image_id,
        "box": event.box_id,
        "user": event.user_id,
        "username": event.user.get_username() if event.user_id else None,
        "action": event.action,
        "before": event.before,
        "after": event.after,
        "undone": event.undone,
        "reverts": event.reverts_id,
        "group": event.group,
        "created_at": _iso(event.created_at),
    }
