"""Writes of projects and labels (members: services/members.py). Role checks happen in the views
(access.py), except who may create a project at all (`PROJECT_CREATORS`), which holds for every
caller; these functions check the data invariants and raise domain errors the API turns into JSON."""

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from annotations.access import require_project_creator
from annotations.errors import Conflict, InvalidInput
from annotations.models import AnnotationEvent, Box, Image, Label, Membership, Project, Role, Track
from annotations.services.boxes import box_broadcast
from annotations.services.thumbnails import thumbnails_delete


def _field_error(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, **{field: [message]})


def _clean_name(value, *, field: str = "name", max_length: int = 200) -> str:
    name = (value or "").strip() if isinstance(value, str) else ""
    if not name:
        raise _field_error(field, f"The {field} must not be empty.")
    if len(name) > max_length:
        raise _field_error(field, f"The {field} must be at most {max_length} characters.")
    return name


# --- projects ------------------------------------------------------------------------------


def _name_taken(exc: IntegrityError) -> bool:
    """Whether a unique name constraint refused the write (the database decides; no check-then-insert)."""
    constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    return constraint is None or "name" in constraint  # SQLite does not name it; its only unique ones here are names


def _save_unique_name(save, *, taken: InvalidInput):
    """Run `save` in a savepoint; a name that exists already, ignoring case, becomes `taken` (400).

    Two requests creating "CaseX" and "casex" at the same instant both pass any check made
    before the insert; only the unique index on lower(name) tells them apart, so it is the check.
    """
    try:
        with transaction.atomic():
            return save()
    except IntegrityError as exc:
        if not _name_taken(exc):
            raise
        raise taken from None


@transaction.atomic
def project_create(
    *, user, name: str, description: str = "", allow_self_review: bool = False, labels: list[dict] | None = None
) -> Project:
    """Create a project (who may: `PROJECT_CREATORS`); its creator becomes its manager. Names are unique
    ignoring case. `labels` (`{name, color?, prompt?}` each) are created with it: all or nothing."""
    require_project_creator(user)
    name = _clean_name(name)
    project = _save_unique_name(
        lambda: Project.objects.create(
            name=name, description=description or "", allow_self_review=allow_self_review, created_by=user
        ),
        taken=_field_error("name", f"A project named {name!r} already exists."),
    )
    Membership.objects.create(project=project, user=user, role=Role.MANAGER)
    for label in labels or []:
        label_create(project=project, user=user, **label)
    return project


@transaction.atomic
def project_update(
    *,
    project: Project,
    user,
    name: str | None = None,
    description: str | None = None,
    allow_self_review: bool | None = None,
) -> Project:
    """Rename or re-describe a project, or change whether reviewers may review their own submissions."""
    fields = []
    if name is not None:
        project.name = _clean_name(name)
        fields.append("name")
    if description is not None:
        project.description = description
        fields.append("description")
    if allow_self_review is not None:
        project.allow_self_review = allow_self_review
        fields.append("allow_self_review")
    if fields:
        _save_unique_name(
            lambda: project.save(update_fields=fields),
            taken=_field_error("name", f"A project named {project.name!r} already exists."),
        )
    return project


@transaction.atomic
def project_delete(*, project: Project, user) -> None:
    """Delete a project with its frames, boxes and history; the stored files go after the commit."""
    # Frame rows first, in the mode and order of annotations/services/locking.py: an edit in flight
    # finishes before its boxes go, instead of deadlocking with this delete.
    frames = Image.objects.filter(project=project).order_by("pk").select_for_update(no_key=True)
    names = list(frames.values_list("file", flat=True))
    # Boxes protect their labels; with the boxes gone first, the cascade can take the labels.
    Box.objects.filter(image__project=project).delete()
    Track.objects.filter(project=project).delete()  # tracks protect their labels too
    project_id = project.pk
    project.delete()
    transaction.on_commit(lambda: _files_delete([name for name in names if name], project_id=project_id))


def _files_delete(names: list[str], *, project_id: int) -> None:
    for name in names:
        default_storage.delete(name)
    thumbnails_delete(project_id=project_id)


# --- labels --------------------------------------------------------------------------------


def _label_validate(label: Label) -> None:
    label.name = _clean_name(label.name, max_length=100)
    label.prompt = (label.prompt or "").strip()
    try:
        label.full_clean(exclude=["project"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        fields = {key: [str(m) for m in msgs] for key, msgs in exc.message_dict.items()}
        raise InvalidInput(" ".join(m for msgs in fields.values() for m in msgs), **fields) from None


def _label_save(label: Label, **kwargs) -> Label:
    taken = _field_error("name", f"A label named {label.name!r} already exists in this project.")
    _save_unique_name(lambda: label.save(**kwargs), taken=taken)
    return label


@transaction.atomic
def label_create(*, project: Project, user, name: str, color: str | None = None, prompt: str = "") -> Label:
    """Add a label; names are unique per project ignoring case (held by the database); the prompt defaults to the name."""
    label = Label(project=project, name=name, prompt=prompt or "")
    if color:
        label.color = color
    _label_validate(label)
    return _label_save(label)


@transaction.atomic
def label_update(*, label: Label, user, **changes) -> Label:
    """Change a label's name, colour or prompt."""
    for field in ("name", "color", "prompt"):
        if field in changes and changes[field] is not None:
            setattr(label, field, changes[field])
    _label_validate(label)
    return _label_save(label, update_fields=["name", "color", "prompt"])


@transaction.atomic
def label_delete(*, label: Label, user, move_to: Label | None = None) -> int:
    """Delete a label; returns how many boxes were moved.

    A label boxes use (deleted boxes count: their history names it) is refused (409, with the
    count in `boxes`) unless `move_to` names another label of the project: then every box of
    it, and every recorded state of those boxes in the history, is moved to that label first —
    a merge, so undo and redo keep working — and each live box goes out as `box.updated`.
    """
    used = Box.objects.filter(label=label).count()
    if move_to is None and not used and Track.objects.filter(label=label).exists():
        raise Conflict(f"The label {label.name!r} is used by tracks; move them to another label first.", boxes=0)
    if used and move_to is None:
        raise Conflict(
            f"The label {label.name!r} is used by {used} box{'es' if used != 1 else ''}; "
            "move them to another label, or rename the label instead.",
            boxes=used,
        )
    if move_to is not None and (move_to.project_id != label.project_id or move_to.pk == label.pk):
        raise InvalidInput("Move the boxes to another label of the same project.", move_to=["Choose another label."])
    if used:
        _boxes_move(label=label, target=move_to, user=user)
    if move_to is not None:
        Track.objects.filter(label=label).update(label=move_to)  # a track's boxes carry its label
    label.delete()
    return used


def _boxes_move(*, label: Label, target: Label, user) -> None:
    frames = sorted(set(Box.objects.filter(label=label).values_list("image_id", flat=True)))
    # The frames first, in id order (services/locking.py's order), then their boxes.
    list(Image.objects.filter(pk__in=frames).order_by("pk").select_for_update(no_key=True).values_list("pk"))
    live = list(Box.objects.filter(label=label, deleted=False).values_list("pk", flat=True))
    # Live boxes get a new version (an open page holding the old one gets a 409, not a silent
    # overwrite with a label that is gone); deleted ones keep theirs, so undoing a delete still works.
    Box.objects.filter(pk__in=live).update(label=target, version=F("version") + 1, updated_by=user)
    Box.objects.filter(label=label, deleted=True).update(label=target)
    events = AnnotationEvent.objects.filter(image_id__in=frames).filter(
        Q(before__label=label.pk) | Q(after__label=label.pk)
    )
    changed = []
    for event in events.iterator(chunk_size=2000):
        for state in (event.before, event.after):
            if isinstance(state, dict) and state.get("label") == label.pk:
                state["label"] = target.pk
        changed.append(event)
    AnnotationEvent.objects.bulk_update(changed, ["before", "after"], batch_size=2000)
    for box in Box.objects.filter(pk__in=live).select_related("label", "created_by", "updated_by"):
        box_broadcast(box=box, user=user, message_type="box.updated", action="relabel")


@transaction.atomic
def label_reorder(*, project: Project, user, order: list[int]) -> list[Label]:
    """Put the project's labels in `order` (label ids; each exactly once). Returns them in order."""
    labels = {label.pk: label for label in Label.objects.select_for_update().filter(project=project)}
    if sorted(order) != sorted(labels) or len(set(order)) != len(order):
        raise InvalidInput("Send every label of the project exactly once.", labels=["Every label id, once each."])
    for position, pk in enumerate(order):
        labels[pk].position = position
    Label.objects.bulk_update(labels.values(), ["position"])
    return [labels[pk] for pk in order]
