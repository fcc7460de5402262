"""Frame ratings: one per user per frame, +1 / 0 / -1; clearing deletes the row.

Each change is recorded as an AnnotationEvent (action `feedback`, `before`/`after` =
`{"rating": …}`) and broadcast as `feedback.updated` to the frame's group on commit.
Ratings are deliberately not undoable: the user changes a rating by choosing another one,
and an undo of a box must not be blocked by, or skip over, a thumbs-up.
"""

from django.db import transaction
from django.db.models import Count

from annotations.broadcast import broadcast_on_commit, image_group
from annotations.errors import InvalidInput
from annotations.models import EventAction, Image
from annotations.selectors.boxes import user_brief
from annotations.services.events import event_record
from annotations.models import FrameFeedback, Rating


def feedback_summary(*, image: Image) -> dict:
    """Counts of each rating on the frame: `{positive, neutral, negative, total}` (one query)."""
    counts = dict(
        FrameFeedback.objects.filter(image=image).values_list("rating").annotate(n=Count("id")).order_by()
    )
    positive, neutral, negative = (counts.get(r, 0) for r in (Rating.POSITIVE, Rating.NEUTRAL, Rating.NEGATIVE))
    return {"positive": positive, "neutral": neutral, "negative": negative, "total": positive + neutral + negative}


def feedback_for_user(*, image: Image, user) -> int | None:
    return FrameFeedback.objects.filter(image=image, user=user).values_list("rating", flat=True).first()


def _record_and_notify(*, image: Image, user, before: int | None, after: int | None) -> None:
    event_record(
        image=image, user=user, action=EventAction.FEEDBACK, before={"rating": before}, after={"rating": after}
    )
    payload = {"image": image.pk, "user": user_brief(user), "rating": after}
    # The frame's tally, read after commit, so every viewer's "Ratings of this frame" follows live.
    broadcast_on_commit(
        image_group(image.pk), "feedback.updated", lambda: {**payload, "summary": feedback_summary(image=image)}
    )


@transaction.atomic
def feedback_set(*, image: Image, user, rating: int) -> FrameFeedback:
    """Set the user's rating of the frame (1, 0 or -1); setting the same rating again changes nothing."""
    if isinstance(rating, bool) or rating not in Rating.values:
        raise InvalidInput("rating must be 1, 0 or -1.", rating=["Must be 1, 0 or -1."])
    feedback, created = FrameFeedback.objects.select_for_update().get_or_create(
        image=image, user=user, defaults={"rating": rating}
    )
    if created:
        _record_and_notify(image=image, user=user, before=None, after=rating)
    elif feedback.rating != rating:
        before = feedback.rating
        feedback.rating = rating
        feedback.save(update_fields=["rating", "updated_at"])
        _record_and_notify(image=image, user=user, before=before, after=rating)
    return feedback


@transaction.atomic
def feedback_clear(*, image: Image, user) -> None:
    """Remove the user's rating of the frame; clearing when there is none changes nothing."""
    feedback = FrameFeedback.objects.select_for_update().filter(image=image, user=user).first()
    if feedback is None:
        return
    before = feedback.rating
    feedback.delete()
    _record_and_notify(image=image, user=user, before=before, after=None)
