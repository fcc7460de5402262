"""The one lock order for every write that changes a frame, and what happens when a lock still fails.

Every service that changes a frame — box create/update/delete, undo/redo, accepting or
rejecting AI boxes (one or all), submit and review — runs as one transaction (`@frame_write`)
and takes its row locks in this order:

1. **the frame row**, with `frame_lock(image)`: `SELECT … FOR NO KEY UPDATE`, always this mode,
   always before any other row of the frame (taking it again later in the transaction is free);
2. then the frame's **predictions**;
3. then its **boxes** (and the events, which are only inserted).

Why: two transactions that lock the same rows in opposite orders deadlock. A single accept used
to lock its prediction and then update the frame, while accept-all share-locked the frame and
then wanted that prediction; two accept-alls each held `FOR SHARE` and both wanted to upgrade
it. With the frame row first, every writer of one frame queues at that one row, so the locks
after it are never contended by another frame writer, and whatever a writer reads after taking
it (the undo target, the pending predictions, the status) stays true until it commits. `FOR NO
KEY UPDATE` rather than `FOR UPDATE`: rows that merely reference the frame (a detection job's
predictions, events, boxes) only need `FOR KEY SHARE` on it, so inserting them never waits.

What can still fail (a writer outside this order, such as deleting a whole project, or a
stricter isolation level): `@frame_write` runs the transaction again once after a deadlock or a
serialization failure, then gives up with FrameBusy — 409, "the frame changed while you were
working; try again" — never a 500.
"""

import functools

from django.db import OperationalError, connection, transaction

from annotations.errors import Conflict
from annotations.models import Image

# PostgreSQL's SQLSTATEs for "your transaction lost a race; running it again may succeed".
DEADLOCK_DETECTED, SERIALIZATION_FAILURE = "40P01", "40001"


class FrameBusy(Conflict):
    """A concurrent write to the same frame kept this one from completing, even when retried."""

    default_detail = "The frame changed while you were working; try again."


def is_lock_conflict(exc: BaseException) -> bool:
    """A deadlock or serialization failure (as Django wraps it: an OperationalError from psycopg's error)."""
    cause = getattr(exc, "__cause__", None)
    return isinstance(exc, OperationalError) and getattr(cause, "sqlstate", None) in (
        DEADLOCK_DETECTED,
        SERIALIZATION_FAILURE,
    )


def frame_lock(image: Image) -> str:
    """Lock the frame row until commit (step 1 of the order above); return its committed status,
    also set on `image`. A frame deleted meanwhile → Conflict (409)."""
    rows = Image.objects.filter(pk=image.pk)
    if connection.in_atomic_block:
        rows = rows.select_for_update(no_key=True)
    status = rows.values_list("status", flat=True).first()
    if status is None:
        raise Conflict("This frame no longer exists.")
    image.status = status
    return status


def frame_write(func):
    """Run a service that changes a frame as one transaction, once more after a deadlock or a
    serialization failure, then FrameBusy (409).

    Called inside a caller's transaction (accept-all accepting each box) it joins it: only the
    owner of the outermost transaction can run it again.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if connection.in_atomic_block:
            with transaction.atomic():
                return func(*args, **kwargs)
        for attempt in (1, 2):
            try:
                with transaction.atomic():
                    return func(*args, **kwargs)
            except OperationalError as exc:
                if not is_lock_conflict(exc):
                    raise
                if attempt == 2:
                    raise FrameBusy() from exc

    return wrapper
