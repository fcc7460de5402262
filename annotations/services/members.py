"""Writes of a project's members: add (by exact username or e-mail address; by id for staff), change a
role, remove; a project always keeps a manager. Role checks happen in the views (access.py). Every change
tells the project's open pages after commit (`members.changed`), so the members panel follows live."""

from django.contrib.auth import get_user_model
from django.db import transaction

from annotations.broadcast import broadcast_on_commit, project_group
from annotations.errors import Conflict, InvalidInput, NotFound
from annotations.models import Membership, Project, Role


def _field_error(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, **{field: [message]})


def members_changed_on_commit(project_id: int) -> None:
    """Tell the project's open pages that its members (or invites) changed: the panels reload."""
    broadcast_on_commit(project_group(project_id), "members.changed", {"project": project_id})


def _managers_left(project: Project, *, without_user_id: int) -> int:
    return Membership.objects.filter(project=project, role=Role.MANAGER).exclude(user_id=without_user_id).count()


# One answer for "no such account" and "inactive account": a manager learns nothing about
# accounts they cannot already see.
NO_ACCOUNT = "No active account has this username or e-mail address."
ID_IS_STAFF_ONLY = "Adding a member by user id is for staff; add them by username or e-mail address."


def _member_user_by_name(value: str):
    """The active user with exactly this username, else the one active user with this e-mail address."""
    users = get_user_model().objects.filter(is_active=True)
    found = users.filter(username=value).first()
    if found is None and "@" in value:
        matches = list(users.filter(email__iexact=value)[:2])
        found = matches[0] if len(matches) == 1 else None  # a shared address names nobody in particular
    if found is None:
        raise _field_error("username", NO_ACCOUNT)
    return found


def _member_user_by_id(*, project: Project, user, user_id: int):
    """Staff add anyone by id; a manager may only name by id someone already in the project (a role change)."""
    users = get_user_model().objects.all()
    if user.is_staff:
        found = users.filter(is_active=True, pk=user_id).first()
        if found is None:
            raise _field_error("user", f"There is no active user with id {user_id}.")
        return found
    found = users.filter(pk=user_id, memberships__project=project).first()
    if found is None:
        raise _field_error("user", ID_IS_STAFF_ONLY)
    return found


@transaction.atomic
def member_add(
    *, project: Project, user, role: str, username: str | None = None, user_id: int | None = None
) -> tuple[Membership, bool]:
    """Add a member by exact username or e-mail address (or by id: staff), or change a member's role.

    Returns (membership, created). Unknown and inactive accounts get the same answer; a
    project always keeps at least one manager.
    """
    if role not in Role.values:
        raise _field_error("role", f"The role must be one of {', '.join(Role.values)}.")
    if username is not None:
        member_user = _member_user_by_name(username)
    elif user_id is not None:
        member_user = _member_user_by_id(project=project, user=user, user_id=user_id)
    else:
        raise _field_error("username", "Give a username or an e-mail address.")
    _project_lock(project)
    membership = Membership.objects.filter(project=project, user=member_user).first()
    members_changed_on_commit(project.pk)
    if membership is None:
        return Membership.objects.create(project=project, user=member_user, role=role), True
    return _member_role_set(membership, role), False


@transaction.atomic
def member_update(*, project: Project, user, member_user_id: int, role: str) -> Membership:
    """Change a member's role; the last manager cannot be demoted."""
    if role not in Role.values:
        raise _field_error("role", f"The role must be one of {', '.join(Role.values)}.")
    _project_lock(project)
    membership = Membership.objects.select_related("user").filter(project=project, user_id=member_user_id).first()
    if membership is None:
        raise NotFound("This user is not a member of the project.")
    members_changed_on_commit(project.pk)
    return _member_role_set(membership, role)


def _project_lock(project: Project) -> None:
    # Serialises membership changes of one project, so two demotions cannot both pass the manager check.
    Project.objects.select_for_update().filter(pk=project.pk).values_list("pk", flat=True).first()


def _member_role_set(membership: Membership, role: str) -> Membership:
    demoted = membership.role == Role.MANAGER and role != Role.MANAGER
    if demoted and not _managers_left(membership.project, without_user_id=membership.user_id):
        raise Conflict("The project needs at least one manager; make someone else manager first.")
    if membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def member_remove(*, project: Project, user, member_user_id: int) -> None:
    """Remove a member; the last manager cannot be removed. Their boxes and history stay."""
    _project_lock(project)
    membership = Membership.objects.filter(project=project, user_id=member_user_id).first()
    if membership is None:
        raise NotFound("This user is not a member of the project.")
    if membership.role == Role.MANAGER and not _managers_left(project, without_user_id=member_user_id):
        raise Conflict("The project needs at least one manager; make someone else manager first.")
    membership.delete()
    members_changed_on_commit(project.pk)
