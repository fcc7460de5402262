"""Property: for any interleaving of one user's edits, undos and redos on a frame, undo reverts
that user's latest change not yet undone (and redo re-applies the latest undone one), and the
frame ends exactly as a plain stack model of those steps says."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotations.errors import InvalidInput, StaleVersion
from annotations.models import Box
from annotations.services import history
from annotations.services.boxes import box_create, box_delete, box_update

pytestmark = pytest.mark.django_db

steps = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(0, 300)),
        st.tuples(st.just("move"), st.integers(0, 3), st.integers(0, 300)),
        st.tuples(st.just("delete"), st.integers(0, 3)),
        st.tuples(st.just("undo")),
        st.tuples(st.just("redo")),
    ),
    min_size=1,
    max_size=14,
)


class Model:
    """What the frame should look like: box key → x_min (None: deleted), plus the two stacks."""

    def __init__(self):
        self.boxes: dict[int, float | None] = {}
        self.done: list[tuple[int, float | None, float | None]] = []  # (box, before, after)
        self.undone: list[tuple[int, float | None, float | None]] = []


def _x(snapshot):
    """A recorded box state as the model writes it: x_min, or None when deleted."""
    return None if snapshot is None or snapshot.get("deleted") else snapshot["x_min"]


def _live(model, index):
    live = [key for key, x in model.boxes.items() if x is not None]
    return live[index % len(live)] if live else None


def _apply(step, *, image, label, user, model):
    kind = step[0]
    if kind == "create":
        box = box_create(image=image, user=user, label=label, x_min=step[1], y_min=1, x_max=400, y_max=50)
        model.boxes[box.pk] = float(step[1])
        model.done.append((box.pk, None, float(step[1])))
        model.undone.clear()
    elif kind in ("move", "delete"):
        key = _live(model, step[1])
        if key is None:
            return
        box = Box.objects.select_related("image").get(pk=key)
        if kind == "move":
            if model.boxes[key] == step[2]:
                return  # no change: not a new version, not a history step
            box_update(box=box, user=user, version=box.version, x_min=step[2])
            after = float(step[2])
        else:
            box_delete(box=box, user=user, version=box.version)
            after = None
        model.done.append((key, model.boxes[key], after))
        model.boxes[key] = after
        model.undone.clear()
    else:
        own, other = (model.done, model.undone) if kind == "undo" else (model.undone, model.done)
        if not own:
            with pytest.raises(InvalidInput):
                history.history_undo(image=image, user=user) if kind == "undo" else history.history_redo(
                    image=image, user=user
                )
            return
        key, before, after = own.pop()
        done = history.history_undo(image=image, user=user) if kind == "undo" else history.history_redo(
            image=image, user=user
        )
        wanted_from, wanted_to = (after, before) if kind == "undo" else (before, after)
        assert done.target.box_id == key
        assert _x(done.target.before if kind == "undo" else done.target.after) == wanted_to
        assert _x(done.event.before) == wanted_from and _x(done.event.after) == wanted_to
        model.boxes[key] = wanted_to
        other.append((key, before, after))


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_undo_always_reverts_the_users_latest_change_still_standing(steps, image, label, annotator):
    with transaction.atomic():
        model = Model()
        for step in steps:
            _apply(step, image=image, label=label, user=annotator, model=model)
            frame = {pk: (None if deleted else x) for pk, x, deleted in
                     Box.objects.filter(image=image).values_list("pk", "x_min", "deleted")}  # fmt: skip
            assert frame == model.boxes, (step, steps)
        transaction.set_rollback(True)  # the next example starts from an empty frame


def test_an_undo_whose_box_is_no_longer_as_its_target_left_it_is_refused_with_the_current_box(
    image, label, annotator
):
    """The box must be exactly as the change to revert left it: an undo never reverts a change
    that something else has overtaken, even at the same version (a write that bypassed history)."""
    box = box_create(image=image, user=annotator, label=label, x_min=10, y_min=1, x_max=400, y_max=50)
    box_update(box=box, user=annotator, version=1, x_min=40)
    Box.objects.filter(pk=box.pk).update(x_min=55)
    with pytest.raises(StaleVersion) as refused:
        history.history_undo(image=image, user=annotator)
    assert (refused.value.current.x_min, refused.value.current.version) == (55, 2)
    assert Box.objects.get(pk=box.pk).x_min == 55
