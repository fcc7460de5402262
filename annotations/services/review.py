"""The review workflow: an annotator submits a frame, a reviewer approves or rejects it.

    new / in_progress / rejected ──submit──▶ submitted ──approve──▶ approved
                                                  │                    │
                                                  └──reject──▶ rejected ◀──reject (reopen)──┘

- `image_submit` (annotator or above): from new, in_progress or rejected. Submitting a
  submitted frame again, or an approved one, is a 409 with the reason.
- `image_review` (reviewer or above): `approve` only from submitted; `reject` from
  submitted, and also from approved — that is how a reviewer *reopens* an approved frame,
  with a comment saying why, so the annotator can fix and resubmit. A rejection needs a
  comment (the annotator must know what to fix); an approval's comment is optional.
- Four-eyes: a reviewer cannot approve or reject a frame they submitted themselves (403),
  unless the project allows it (`allow_self_review`) or nobody else in it could review
  (they are its only reviewer or manager).
- The comment is kept on the frame (`review_comment`) until the next review replaces it, so
  a resubmitted frame still shows the reviewer what they asked for.
- Approved frames are locked for annotators by `ensure_frame_editable` (boxes service);
  reviewers and managers can still correct them. Both paths take the frame row lock, so an
  approval never overtakes an annotator's edit in flight.

Every step is an AnnotationEvent (`submit`, `review`) with the user and time, `before`
and `after` holding the status (and the decision and comment). After commit, `image.status`
goes to the frame's group and the project's group, and `project.progress` (counts per
status) to the project's group.
"""

from annotations.access import require_role
from annotations.broadcast import broadcast_on_commit, image_group, project_group
from annotations.errors import Conflict, Forbidden, InvalidInput
from annotations.models import EventAction, Image, ImageStatus, Membership, Project, Role
from annotations.selectors.boxes import user_brief
from annotations.selectors.live import image_status_dict, project_progress
from annotations.services.events import event_record
from annotations.services.locking import frame_lock, frame_write

APPROVE, REJECT = "approve", "reject"
DECISIONS = (APPROVE, REJECT)
SUBMITTABLE = frozenset((ImageStatus.NEW, ImageStatus.IN_PROGRESS, ImageStatus.REJECTED))
REVIEWABLE = {
    APPROVE: frozenset((ImageStatus.SUBMITTED,)),
    REJECT: frozenset((ImageStatus.SUBMITTED, ImageStatus.APPROVED)),  # rejecting an approved frame reopens it
}
COMMENT_MAX_LENGTH = 5000


def project_progress_broadcast_on_commit(*, project_id: int) -> None:
    """After commit, send `project.progress` (counts per status, read then) to the project's group."""
    broadcast_on_commit(project_group(project_id), "project.progress", lambda: project_progress(project_id=project_id))


def image_status_broadcast_on_commit(*, image: Image, user, decision: str | None = None) -> None:
    """After commit, tell the frame's viewers and the project page (status, then progress counts)."""
    payload = {**image_status_dict(image), "user": user_brief(user)}
    if decision is not None:
        payload["decision"] = decision
    broadcast_on_commit(image_group(image.pk), "image.status", payload)
    broadcast_on_commit(project_group(image.project_id), "image.status", payload)
    project_progress_broadcast_on_commit(project_id=image.project_id)


def _lock(image: Image) -> Image:
    frame_lock(image)  # the frame row first, in the one mode every frame writer uses (services/locking.py)
    return Image.objects.select_related("submitted_by", "reviewed_by").get(pk=image.pk)


def _require_second_pair_of_eyes(*, image: Image, user) -> None:
    if image.submitted_by_id != user.pk:
        return
    if Project.objects.filter(pk=image.project_id, allow_self_review=True).exists():
        return
    others = Membership.objects.filter(project_id=image.project_id, role__in=(Role.REVIEWER, Role.MANAGER))
    if others.exclude(user_id=user.pk).exists():
        raise Forbidden(
            "You submitted this frame; another reviewer must review it "
            "(a manager can allow self-review in the project's settings)."
        )


@frame_write
def image_submit(*, image: Image, user) -> Image:
    """Hand a frame to the reviewers (annotator or above); records `submit`, broadcasts on commit."""
    require_role(user=user, project_id=image.project_id, role=Role.ANNOTATOR)
    locked = _lock(image)
    if locked.status == ImageStatus.SUBMITTED:
        raise Conflict("This frame is already submitted and waits for review.")
    if locked.status not in SUBMITTABLE:
        raise Conflict("This frame is approved and locked; a reviewer can reopen it by rejecting it.")
    before = locked.status
    locked.status = ImageStatus.SUBMITTED
    locked.submitted_by = user
    locked.save(update_fields=["status", "submitted_by", "updated_at"])
    event_record(
        image=locked, user=user, action=EventAction.SUBMIT, before={"status": before}, after={"status": locked.status}
    )
    image_status_broadcast_on_commit(image=locked, user=user)
    return locked


@frame_write
def image_review(*, image: Image, user, decision: str, comment: str = "") -> Image:
    """Approve or reject a frame (reviewer or above); see the module docstring for which moves are allowed."""
    require_role(user=user, project_id=image.project_id, role=Role.REVIEWER)
    if decision not in DECISIONS:
        raise InvalidInput("decision must be approve or reject.", decision=["Choose approve or reject."])
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise InvalidInput(f"The comment is over {COMMENT_MAX_LENGTH} characters.")
    if decision == REJECT and not comment:
        raise InvalidInput(
            "A rejection needs a comment telling the annotator what to fix.", comment=["Required when rejecting."]
        )
    locked = _lock(image)
    _require_second_pair_of_eyes(image=locked, user=user)
    if locked.status not in REVIEWABLE[decision]:
        allowed = " or ".join(sorted(REVIEWABLE[decision]))
        raise Conflict(f"Only a {allowed} frame can be {decision}d; this one is {locked.status}.")
    before = locked.status
    locked.status = ImageStatus.APPROVED if decision == APPROVE else ImageStatus.REJECTED
    locked.review_comment = comment
    locked.reviewed_by = user
    locked.save(update_fields=["status", "review_comment", "reviewed_by", "updated_at"])
    event_record(
        image=locked,
        user=user,
        action=EventAction.REVIEW,
        before={"status": before},
        after={"status": locked.status, "decision": decision, "comment": comment},
    )
    image_status_broadcast_on_commit(image=locked, user=user, decision=decision)
    return locked
