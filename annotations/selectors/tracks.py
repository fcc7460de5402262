"""Reads of tracks and sequences, shared by the API, the websocket payloads and the services.

`track_to_dict` is the one track shape of DESIGN.md; lists are two queries per page (the frame
range and the box count are correlated subqueries, whether a track was ended is one read of the
End-track marks on the page's last frames; never a query per track).
"""

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from annotations.models import AnnotationEvent, Box, Image, Project, Sequence, Track
from annotations.selectors.boxes import box_to_dict

# The action of the box-less event End track records on its frame (services/track_end.py).
END_TRACK = "end-track"


def _track_frame(*, last: bool) -> Subquery:
    order = ("-image__frame_index", "-image_id") if last else ("image__frame_index", "image_id")
    boxes = Box.objects.filter(track=OuterRef("pk"), deleted=False).order_by(*order).values("image_id")[:1]
    return Subquery(boxes, output_field=IntegerField())


def _live_box_count() -> Coalesce:
    counted = (
        Box.objects.filter(track=OuterRef("pk"), deleted=False).order_by().values("track").annotate(n=Count("*"))
    )
    return Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), Value(0))


def tracks_annotated(queryset: QuerySet[Track]) -> QuerySet[Track]:
    """Tracks with `first_frame`, `last_frame` (image ids, frame order) and `box_count` (live boxes)."""
    return queryset.select_related("label").annotate(
        first_frame=_track_frame(last=False), last_frame=_track_frame(last=True), box_count=_live_box_count()
    )


def tracks_for_project(*, project: Project, sequence_id: int | None = None) -> QuerySet[Track]:
    """The project's tracks by number; only one sequence's when `sequence_id` is given."""
    queryset = Track.objects.filter(project=project)
    if sequence_id is not None:
        queryset = queryset.filter(sequence_id=sequence_id)
    return tracks_annotated(queryset).order_by("number")


def tracks_mark_ended(tracks) -> list[Track]:
    """Set `ended_at` on tracks read by `tracks_annotated`: their last frame when End track named
    them there (and was not undone), else None. One query, whatever the number of tracks.

    Ending a track records a box-less `end-track` event `{tracks: [id]}` on the frame; it holds
    while that frame is the track's last. A box added after it (copy forward, tracking) lifts it,
    and undoing that addition brings it back. Ghosts are drawn only up to an ended track's end."""
    tracks = list(tracks)
    last_frames = {track.last_frame for track in tracks if getattr(track, "last_frame", None) is not None}
    marks = AnnotationEvent.objects.filter(image_id__in=last_frames, action=END_TRACK, undone=False)
    ended = set()
    for image_id, after in marks.values_list("image_id", "after") if last_frames else ():
        ended.update((image_id, track_id) for track_id in (after or {}).get("tracks", ()))
    for track in tracks:
        last = getattr(track, "last_frame", None)
        track.ended_at = last if (last, track.pk) in ended else None
    return tracks


def track_with_details(*, pk: int) -> Track:
    return tracks_mark_ended([tracks_annotated(Track.objects.filter(pk=pk)).get()])[0]


def track_to_dict(track: Track) -> dict:
    """`{id, project, label, number, sequence, first_frame, last_frame, box_count}` plus `label_name`,
    `label_color`, `created_by`, `ended_at`. The frame range and count are read from the annotations
    when the track came from `tracks_annotated` (`ended_at` from `tracks_mark_ended`), else null/0
    (a just-created track has no boxes)."""
    return {
        "id": track.pk,
        "project": track.project_id,
        "label": track.label_id,
        "label_name": track.label.name,
        "label_color": track.label.color,
        "number": track.number,
        "sequence": track.sequence_id,
        "first_frame": getattr(track, "first_frame", None),
        "last_frame": getattr(track, "last_frame", None),
        "box_count": getattr(track, "box_count", 0),
        "created_by": track.created_by_id,
        "ended_at": getattr(track, "ended_at", None),
    }


def sequences_for_project(*, project: Project) -> QuerySet[Sequence]:
    """The project's sequences with `frame_count` and `first_frame` (the image id of its first frame)."""
    frames = Image.objects.filter(sequence=OuterRef("pk"))
    counted = frames.order_by().values("sequence").annotate(n=Count("*")).values("n")
    first = frames.order_by("frame_index", "id").values("id")[:1]
    return (
        Sequence.objects.filter(project=project)
        .annotate(
            frame_count=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0)),
            first_frame=Subquery(first, output_field=IntegerField()),
        )
        .order_by("id")
    )


def sequence_to_dict(sequence: Sequence) -> dict:
    return {
        "id": sequence.pk,
        "project": sequence.project_id,
        "name": sequence.name,
        "frame_count": getattr(sequence, "frame_count", 0),
        "first_frame": getattr(sequence, "first_frame", None),
    }


def sequence_frames(*, sequence_id: int | None, project_id: int) -> QuerySet[Image]:
    """The frames of a sequence in frame order; without a sequence, the project's frames that have none."""
    queryset = Image.objects.filter(project_id=project_id, sequence_id=sequence_id)
    return queryset.order_by("frame_index", "id")


def frames_after(image: Image, count: int) -> list[Image]:
    """The `count` frames after `image` in its sequence, in frame order."""
    later = Q(frame_index__gt=image.frame_index) | Q(frame_index=image.frame_index, id__gt=image.pk)
    return list(sequence_frames(sequence_id=image.sequence_id, project_id=image.project_id).filter(later)[:count])


def frame_before(image: Image) -> Image | None:
    """The frame just before `image` in its sequence, or None."""
    earlier = Q(frame_index__lt=image.frame_index) | Q(frame_index=image.frame_index, id__lt=image.pk)
    frames = sequence_frames(sequence_id=image.sequence_id, project_id=image.project_id)
    return frames.filter(earlier).order_by("-frame_index", "-id").first()


def track_box_to_dict(box: Box) -> dict:
    """A box of `track_live_boxes` as `GET /api/tracks/{id}/boxes/` lists it: the box JSON plus its
    frame's `frame_index`."""
    return {**box_to_dict(box), "frame_index": box.image.frame_index}


def track_live_boxes(track: Track) -> QuerySet[Box]:
    """The track's live boxes with what box JSON reads (and their frames), in frame order."""
    return (
        Box.objects.filter(track=track, deleted=False)
        .select_related("label", "created_by", "updated_by", "image")
        .order_by("image__frame_index", "image_id")
    )
