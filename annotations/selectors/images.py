"""Reads of frames and project progress, shared by the API, the pages and the commands.

Every list is one query per page: counts and neighbours are correlated subqueries, never a
query per row.
"""

from django.db.models import CharField, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from annotations.access import projects_for_user
from annotations.models import Box, FrameFeedback, Image, ImageStatus, Membership, Project, Role

STATUSES = [status.value for status in ImageStatus]


def _count(queryset, key: str) -> Coalesce:
    """COUNT(*) of `queryset` rows grouped by `key`, as a correlated scalar subquery (0 when none)."""
    counted = queryset.order_by().values(key).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _neighbour(*, before: bool) -> Subquery:
    """The id of the frame just before/after in (frame_index, id) order within the same project."""
    if before:
        condition = Q(frame_index__lt=OuterRef("frame_index")) | Q(
            frame_index=OuterRef("frame_index"), id__lt=OuterRef("id")
        )
        order = ("-frame_index", "-id")
    else:
        condition = Q(frame_index__gt=OuterRef("frame_index")) | Q(
            frame_index=OuterRef("frame_index"), id__gt=OuterRef("id")
        )
        order = ("frame_index", "id")
    rows = Image.objects.filter(condition, project=OuterRef("project_id")).order_by(*order).values("id")[:1]
    return Subquery(rows, output_field=IntegerField())


def images_for_project(*, project: Project, user=None) -> QuerySet[Image]:
    """The project's frames ordered by frame_index, each with `box_count`, `previous_id`, `next_id`
    and, given a user, `my_rating` (their frame feedback or None)."""
    return images_annotated(Image.objects.filter(project=project), user=user)


def images_annotated(queryset: QuerySet[Image], *, user=None) -> QuerySet[Image]:
    live_boxes = Box.objects.filter(image=OuterRef("pk"), deleted=False)
    extra = {}
    if user is not None and user.is_authenticated:
        mine = FrameFeedback.objects.filter(image=OuterRef("pk"), user=user).values("rating")[:1]
        extra["my_rating"] = Subquery(mine, output_field=IntegerField())
    return queryset.annotate(
        box_count=_count(live_boxes, "image"),
        previous_id=_neighbour(before=True),
        next_id=_neighbour(before=False),
        **extra,
    ).order_by("frame_index", "id")


def image_with_details(*, pk: int, user=None) -> Image:
    """One frame with the same annotations as the list (one query)."""
    return images_annotated(Image.objects.filter(pk=pk), user=user).get()


def image_neighbours(*, image: Image) -> tuple[int | None, int | None]:
    """(previous id, next id) of the frame in its project's frame_index order."""
    row = images_annotated(Image.objects.filter(pk=image.pk)).values("previous_id", "next_id").first()
    if row is None:
        return None, None
    return row["previous_id"], row["next_id"]


def projects_with_counts(*, user) -> QuerySet[Project]:
    """The caller's projects (staff: all) with `role`, `image_count`, `count_<status>`, `box_count`,
    `feedback_image_count` and `member_count` annotated — one query however many projects."""
    images = Image.objects.filter(project=OuterRef("pk"))
    annotations = {f"count_{status}": _count(images.filter(status=status), "project") for status in STATUSES}
    feedback_images = Image.objects.filter(project=OuterRef("pk"), feedback__isnull=False).order_by()
    annotations.update(
        image_count=_count(images, "project"),
        box_count=_count(Box.objects.filter(image__project=OuterRef("pk"), deleted=False), "image__project"),
        feedback_image_count=Coalesce(
            Subquery(
                feedback_images.values("project").annotate(n=Count("id", distinct=True)).values("n"),
                output_field=IntegerField(),
            ),
            Value(0),
        ),
        member_count=_count(Membership.objects.filter(project=OuterRef("pk")), "project"),
    )
    if user.is_authenticated and not user.is_staff:
        own = Membership.objects.filter(project=OuterRef("pk"), user=user).values("role")[:1]
        annotations["role"] = Subquery(own)
    else:
        annotations["role"] = Value(Role.MANAGER.value if user.is_staff else None, output_field=CharField())
    return projects_for_user(user).annotate(**annotations).select_related("created_by").order_by("name", "id")


def project_with_counts(*, pk: int, user) -> Project:
    return projects_with_counts(user=user).get(pk=pk)


def status_counts(project: Project) -> dict[str, int]:
    """`{status: n}` for all five statuses from a project row annotated by `projects_with_counts`."""
    return {status: getattr(project, f"count_{status}", 0) for status in STATUSES}
