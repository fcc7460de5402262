"""A frame's editability: the frame lock every edit takes first, the approved-frame rule, and the
first edit's move from `new` to `in_progress` (broadcast on commit).

Shared by every service that changes a frame's annotations (boxes, undo/redo, AI decisions).
"""

from django.utils import timezone

from annotations.access import role_in_project
from annotations.errors import Conflict
from annotations.models import ROLE_RANK, Image, ImageStatus, Role
from annotations.services.locking import frame_lock
from annotations.services.review import image_status_broadcast_on_commit

APPROVED_LOCKED = "This frame is approved and locked; ask a reviewer to reopen it."


def ensure_frame_editable(*, image: Image, user) -> str:
    """Lock the frame (`frame_lock`, first in the lock order) and refuse (409) an annotator's change
    to an approved frame; reviewers, managers and staff may edit.

    The status is read under the frame lock, held until commit, so a concurrent approval waits
    for this write instead of being overtaken by it. Every service that changes a frame's
    annotations (boxes, undo/redo, accepting AI boxes) calls this before locking anything else.
    Returns that status (for `frame_start`).
    """
    status = frame_lock(image)
    if status == ImageStatus.APPROVED:
        refuse_if_approved(status=status, role=role_in_project(user=user, project_id=image.project_id))
    return status


def frames_lock_editable(*, image_ids, user, strict: bool = True) -> set[int]:
    """Lock several frames (ascending id, one query; a change spanning frames: copy forward,
    interpolation, undoing them) and return the ids `user` may change. An approved frame is
    refused (409, `strict`) or left out for an annotator, as `ensure_frame_editable` does for one."""
    ids = sorted(set(image_ids))
    if not ids:
        return set()
    rows = Image.objects.filter(pk__in=ids).order_by("pk").select_for_update(no_key=True)
    statuses = dict(rows.values_list("pk", "status"))
    approved = {pk for pk, status in statuses.items() if status == ImageStatus.APPROVED}
    if approved:
        project_id = Image.objects.filter(pk=ids[0]).values_list("project_id", flat=True).first()
        role = role_in_project(user=user, project_id=project_id)
        if role is not None and ROLE_RANK[role] >= ROLE_RANK[Role.REVIEWER]:
            approved = set()
        elif strict:
            raise Conflict(APPROVED_LOCKED, frames=sorted(approved))
    return set(statuses) - approved


def refuse_if_approved(*, status: str, role: str | None) -> None:
    """The approved-frame rule on a status read under the frame lock: 409 for a change by anyone
    below reviewer (`role`: the caller's role in the frame's project, None for none)."""
    if status == ImageStatus.APPROVED and (role is None or ROLE_RANK[role] < ROLE_RANK[Role.REVIEWER]):
        raise Conflict(APPROVED_LOCKED)


def frame_start(*, image: Image, user, status: str | None = None) -> bool:
    """Move a frame from `new` to `in_progress` (first edit); True when this call moved it.

    `status` is the frame's status as `ensure_frame_editable` read it under the frame lock (held
    until commit): any other than `new` cannot change meanwhile, so there is nothing to write and
    the write path saves its UPDATE."""
    if status is not None and status != ImageStatus.NEW:
        return False
    # Decided by the database, not by `image.status`: the instance may hold a status from a
    # transaction that was rolled back since.
    moved = Image.objects.filter(pk=image.pk, status=ImageStatus.NEW).update(
        status=ImageStatus.IN_PROGRESS, updated_at=timezone.now()
    )
    if moved:
        image.status = ImageStatus.IN_PROGRESS
        image_status_broadcast_on_commit(image=image, user=user)
    return bool(moved)
