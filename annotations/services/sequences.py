"""Sequences: the clips a project's frames belong to. Made by ingest, renamed and refilled by managers.

Names are unique per project ignoring case (a database constraint). Ingest never fails on a
name: it takes the next free one ("clip", "clip (2)", …); a manager's rename to a taken name is
a 409 saying so. Moving a frame to another sequence (or to none) leaves its boxes and their
tracks as they are: a track whose boxes now span two sequences is the manager's to sort out.

Live, on the project's group: `sequence.updated {sequence: {id, project, name}, user}` (created or
renamed) and `image.sequence {image, sequence, user}` (a frame moved).
"""

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from annotations.broadcast import broadcast_on_commit, project_group
from annotations.errors import Conflict, InvalidInput
from annotations.models import Image, Project, Sequence
from annotations.selectors.boxes import user_brief

NAME_MAX = 200


def _clean(name) -> str:
    name = str(name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise InvalidInput(f"A sequence name has 1 to {NAME_MAX} characters.", name=["Give the sequence a name."])
    return name


def sequence_name_free(*, project_id: int, name: str) -> str:
    """`name`, or `name (2)`, `name (3)`… — the first the project does not use (ignoring case)."""
    base = _clean(name)[: NAME_MAX - 8]
    taken = set(
        Sequence.objects.filter(project_id=project_id, name__istartswith=base)
        .annotate(lower=Lower("name"))
        .values_list("lower", flat=True)
    )
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{base} ({n})"
    return candidate


class IngestSequences:
    """The sequences one ingest puts its new frames in, made on first use (the caller holds the
    project row lock): one per zip folder, and one for the files sent loose (`batch` if given)."""

    def __init__(self, *, project: Project, batch: Sequence | None = None):
        self.project, self.made = project, {}
        if batch is not None:
            self.made[None] = batch

    def of(self, folder: str | None, metadata: dict | None = None) -> Sequence:
        key = folder
        if key is None and None not in self.made:
            named = (metadata or {}).get("sequence")
            key = f"metadata:{named}" if isinstance(named, str) and named.strip() else None
        if key not in self.made:
            name = folder or (key or "").removeprefix("metadata:") or f"Upload {timezone.now():%Y-%m-%d %H:%M:%S}"
            self.made[key] = Sequence.objects.create(
                project=self.project, name=sequence_name_free(project_id=self.project.pk, name=name)
            )
        return self.made[key]


@transaction.atomic
def sequence_create(*, project: Project, user, name: str) -> Sequence:
    """A new, empty sequence; a name in use is a 409."""
    name = _clean(name)
    if Sequence.objects.filter(project=project, name__iexact=name).exists():
        raise Conflict(f"This project already has a sequence named {name!r}.", name=["Choose another name."])
    try:
        with transaction.atomic():
            sequence = Sequence.objects.create(project=project, name=name)
    except IntegrityError:  # a concurrent create of the same name
        raise Conflict(f"This project already has a sequence named {name!r}.", name=["Choose another name."]) from None
    _broadcast(sequence, user)
    return sequence


@transaction.atomic
def sequence_rename(*, sequence: Sequence, user, name: str) -> Sequence:
    """Rename a sequence; a name another sequence of the project uses is a 409."""
    name = _clean(name)
    if Sequence.objects.filter(project_id=sequence.project_id, name__iexact=name).exclude(pk=sequence.pk).exists():
        raise Conflict(f"This project already has a sequence named {name!r}.", name=["Choose another name."])
    sequence.name = name
    try:
        with transaction.atomic():
            sequence.save(update_fields=["name"])
    except IntegrityError:
        raise Conflict(f"This project already has a sequence named {name!r}.", name=["Choose another name."]) from None
    _broadcast(sequence, user)
    return sequence


@transaction.atomic
def image_sequence_set(*, image: Image, user, sequence: Sequence | None) -> Image:
    """Move a frame into `sequence` (of its project) or out of any (None)."""
    if sequence is not None and sequence.project_id != image.project_id:
        raise InvalidInput("The sequence belongs to another project.", sequence=["Unknown sequence for this project."])
    Image.objects.filter(pk=image.pk).update(sequence=sequence)
    image.sequence = sequence
    payload = {"image": image.pk, "sequence": getattr(sequence, "pk", None), "user": user_brief(user)}
    broadcast_on_commit(project_group(image.project_id), "image.sequence", payload)
    return image


def _broadcast(sequence: Sequence, user) -> None:
    payload = {"sequence": {"id": sequence.pk, "project": sequence.project_id, "name": sequence.name}, "user": user_brief(user)}
    broadcast_on_commit(project_group(sequence.project_id), "sequence.updated", payload)
