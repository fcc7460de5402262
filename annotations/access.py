"""Who may see and do what. Everything outside a user's projects is NotFound, never Forbidden."""

from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user
from django.db.models import OuterRef, QuerySet, Subquery

from annotations.errors import Forbidden, NotFound
from annotations.models import ROLE_RANK, Box, Image, Label, Membership, Project, Role, Sequence, Track


def projects_for_user(user) -> QuerySet[Project]:
    if not user.is_authenticated:
        return Project.objects.none()
    if user.is_staff:
        return Project.objects.all()
    return Project.objects.filter(memberships__user=user)


def can_create_project(user) -> bool:
    """`PROJECT_CREATORS=all`: any signed-in user; `staff`: staff only."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or settings.PROJECT_CREATORS == "all"


def require_project_creator(user) -> None:
    if not can_create_project(user):
        raise Forbidden("Only staff may create projects on this site.")


def role_in_project(*, user, project_id: int) -> str | None:
    """The user's role, `manager` for staff, None for a non-member."""
    if not user.is_authenticated:
        return None
    if user.is_staff:
        return Role.MANAGER
    return Membership.objects.filter(project_id=project_id, user=user).values_list("role", flat=True).first()


def require_role(*, user, project_id: int, role: str = Role.ANNOTATOR) -> str:
    """Check membership (404 if none) and rank (403 if too low); return the user's role."""
    return _rank_check(role_in_project(user=user, project_id=project_id), role)


def _with_member_role(queryset: QuerySet, *, user, project_field: str) -> QuerySet:
    """Read the user's membership role in the same query as the object (`member_role`): the access
    check then costs no round trip of its own. Staff and anonymous users need no membership row."""
    if not user.is_authenticated or user.is_staff:
        return queryset
    memberships = Membership.objects.filter(project_id=OuterRef(project_field), user=user).order_by("id")
    return queryset.annotate(member_role=Subquery(memberships.values("role")[:1]))


def require_member_role(obj, *, user, role: str) -> str:
    """`require_role` for an object read with the caller's `member_role` (by `_with_member_role`, or by
    the box write path's reads in annotations/services/box_sql.py)."""
    if not user.is_authenticated:
        return _rank_check(None, role)
    return _rank_check(Role.MANAGER if user.is_staff else obj.member_role, role)


def _rank_check(actual: str | None, role: str) -> str:
    if actual is None:
        raise NotFound()
    if ROLE_RANK[actual] < ROLE_RANK[role]:
        raise Forbidden(f"This needs the {role} role in the project; you are {actual}.")
    return actual


def project_get_for_user(*, pk, user, role: str = Role.ANNOTATOR) -> Project:
    project = _get(Project.objects, pk)
    require_role(user=user, project_id=project.pk, role=role)
    return project


def image_get_for_user(*, pk, user, role: str = Role.ANNOTATOR) -> Image:
    image = _get(_with_member_role(Image.objects.select_related("project"), user=user, project_field="project_id"), pk)
    require_member_role(image, user=user, role=role)
    return image


def box_get_for_user(*, pk, user, role: str = Role.ANNOTATOR) -> Box:
    boxes = Box.objects.select_related("image", "label", "created_by").filter(deleted=False)
    box = _get(_with_member_role(boxes, user=user, project_field="image__project_id"), pk)
    require_member_role(box, user=user, role=role)
    return box


def track_get_for_user(*, pk, user, role: str = Role.ANNOTATOR) -> Track:
    track = _get(Track.objects.select_related("label"), pk)
    require_role(user=user, project_id=track.project_id, role=role)
    return track


def sequence_get_for_user(*, pk, user, role: str = Role.ANNOTATOR) -> Sequence:
    sequence = _get(Sequence.objects.all(), pk)
    require_role(user=user, project_id=sequence.project_id, role=role)
    return sequence


def label_get_for_user(*, pk, user, role: str = Role.ANNOTATOR) -> Label:
    label = _get(Label.objects.all(), pk)
    require_role(user=user, project_id=label.project_id, role=role)
    return label


def can_view_image(user, image_id) -> bool:
    try:
        image_get_for_user(pk=image_id, user=user)
    except (NotFound, Forbidden):
        return False
    return True


def can_view_project(user, project_id) -> bool:
    try:
        project_get_for_user(pk=project_id, user=user)
    except (NotFound, Forbidden):
        return False
    return True


def _get(queryset, pk):
    try:
        return queryset.get(pk=int(pk))
    except (TypeError, ValueError, OverflowError, queryset.model.DoesNotExist):
        raise NotFound() from None


def session_user(session_key: str | None):
    """The user a session belongs to *now*: anonymous once it was logged out or flushed, its
    password changed (the session hash no longer matches) or the account was deactivated."""
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return get_user(SimpleNamespace(session=session))


def live_access_allowed(*, session_key: str | None, image_id=None, project_id=None) -> bool:
    """May the socket opened with this session still see this frame (or project)? Read afresh each time."""
    user = session_user(session_key)
    if image_id is not None:
        return can_view_image(user, image_id)
    return can_view_project(user, project_id)


def live_role(*, session_key: str | None, image_id=None, project_id=None) -> str | None:
    """The role the socket's user holds now in the frame's (or the project's) project; None without access."""
    user = session_user(session_key)
    if image_id is not None:
        project_id = Image.objects.filter(pk=image_id).values_list("project_id", flat=True).first()
        if project_id is None:
            return None
    return role_in_project(user=user, project_id=project_id)
