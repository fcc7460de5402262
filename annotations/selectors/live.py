"""Reads behind the live channels: what a (re)connecting viewer must see, and a project's progress.

A client that reconnects after a drop gets `image_live_state` first, so it replaces
whatever it had with the committed truth (boxes with their versions, the frame's status
and review comment) and never shows stale data.
"""

from django.db.models import Count

from annotations.models import Image, ImageStatus
from annotations.selectors.boxes import box_to_dict, boxes_for_image, user_brief


def image_status_dict(image: Image) -> dict:
    """The review state of a frame, as the `image.status` message and the review API show it."""
    return {
        "image": image.pk,
        "project": image.project_id,
        "status": image.status,
        "review_comment": image.review_comment,
        "submitted_by": user_brief(image.submitted_by) if image.submitted_by_id else None,
        "reviewed_by": user_brief(image.reviewed_by) if image.reviewed_by_id else None,
        # When the frame last changed (its status, for a submitted or reviewed frame): the banner's date.
        "status_at": image.updated_at.isoformat() if image.updated_at else None,
    }


def image_live_state(*, image_id: int) -> dict | None:
    """`{image: {...status...}, boxes: [box...]}` of one frame (live boxes only, each with its version);
    None when the frame does not exist."""
    image = Image.objects.select_related("submitted_by", "reviewed_by").filter(pk=image_id).first()
    if image is None:
        return None
    return {
        "image": image_status_dict(image),
        "boxes": [box_to_dict(box) for box in boxes_for_image(image=image)],
    }


def project_progress(*, project_id: int) -> dict:
    """`{project, total, counts: {status: n}}` with every status present (0 when none): one query."""
    counts = {status: 0 for status in ImageStatus.values}
    rows = Image.objects.filter(project_id=project_id).values("status").annotate(n=Count("id")).order_by()
    for row in rows:
        counts[row["status"]] = row["n"]
    return {"project": project_id, "total": sum(counts.values()), "counts": counts}
