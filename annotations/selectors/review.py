"""Reads of the review workflow: the queue of frames waiting for a reviewer."""

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from annotations.models import AnnotationEvent, EventAction, Image, ImageStatus, Project


def review_queue_for_project(*, project: Project) -> QuerySet[Image]:
    """Submitted frames, oldest submission first, with `submitted_at` and `box_count` annotated."""
    last_submit = (
        AnnotationEvent.objects.filter(image=OuterRef("pk"), action=EventAction.SUBMIT)
        .order_by("-id")
        .values("created_at")[:1]
    )
    return (
        Image.objects.filter(project=project, status=ImageStatus.SUBMITTED)
        .select_related("submitted_by", "reviewed_by")
        .annotate(submitted_at=Subquery(last_submit), box_count=Count("boxes", filter=Q(boxes__deleted=False)))
        .order_by("submitted_at", "id")
    )
