"""The parts of the AI-audit metrics that are plain counting, done in SQL.

Each function is one query whose result is a handful of rows (per label, revision,
status or day), whatever the project's size; `feedback.selectors` merges them with the
matching, which needs box geometry and runs in Python. Works on PostgreSQL and SQLite.
"""

import datetime as dt
import time

from django.db import connection
from django.db.models import Case, CharField, Count, F, FloatField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest, Least, TruncDate

from annotations.models import AnnotationEvent, Box, FrameFeedback, Image
from inference.models import DetectionJob, JobStatus, Prediction


def fetch_rows(queryset) -> list[tuple]:
    """All rows of a values_list queryset in one fetch, skipping Django's per-chunk iteration.

    Only for plain columns (ints, floats, text) that need no converter on any backend; the
    metrics stream ~100,000 such rows and this halves the time spent receiving them. On
    PostgreSQL the rows come in binary format: floats arrive as 8 bytes instead of text
    to parse, another third off. That cursor bypasses Django's, so the query is logged
    here, where Django would log it (debug, tests' query counts, benchmarks).
    """
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    import psycopg

    connection.ensure_connection()
    started = time.monotonic()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, binary=True)
        rows = cursor.fetchall()
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
    return rows


def _within(queryset, *, job: str, revision=None, since=None, until=None):
    """Finished jobs (reached through `job`, a lookup prefix) of the revision and time range."""
    queryset = queryset.filter(**{f"{job}status": JobStatus.DONE})
    if revision is not None:
        queryset = queryset.filter(**{f"{job}revision": revision})
    if since:
        queryset = queryset.filter(**{f"{job}created_at__gte": since})
    if until:
        queryset = queryset.filter(**{f"{job}created_at__lt": until})
    return queryset.order_by()


def jobs_in_scope(*, project_id: int, **filters):
    # An evaluation's jobs are not pre-annotation, and a propagation is no detection: neither counts
    # as a detection job in the AI audit (tracked boxes count as their own source, `box_counts`).
    return _within(DetectionJob.objects.filter(image__project_id=project_id, purpose="detect", kind="detect"), job="",
                   **filters)


def predictions_in_scope(*, project_id: int, **filters):
    return _within(Prediction.objects.filter(image__project_id=project_id, job__purpose="detect"), job="job__",
                   **filters)


def revision_counts(**scope) -> list[tuple]:
    """`(revision, jobs, frames)` of the finished jobs in scope."""
    rows = jobs_in_scope(**scope).values("revision").annotate(jobs=Count("id"), frames=Count("image", distinct=True))
    return [(row["revision"], row["jobs"], row["frames"]) for row in rows]


def decision_counts(**scope) -> list[tuple]:
    """`(label_id, prompt, revision, status, n)` over the predictions in scope."""
    rows = (
        predictions_in_scope(**scope)
        .values("label_id", "prompt", "job__revision", "status")
        .annotate(n=Count("id"))
    )
    return [(r["label_id"], r["prompt"], r["job__revision"], r["status"], r["n"]) for r in rows]


BOX_ORIGINS = ("human", "ai", "tracked", "interpolated")


def box_counts(project_id: int) -> list[tuple]:
    """`(label_id, origin, deleted, keyframe, n)`: the project's live boxes by origin (`ai`: an accepted
    prediction; else the box's source: human, tracked, interpolated), plus deleted tracked boxes (the
    tracker's proposals people rejected). A tracked box a person edited is a keyframe (confirmed)."""
    origin = Case(
        When(prediction__isnull=False, then=Value("ai")),
        When(source__in=("tracked", "interpolated"), then=F("source")),
        default=Value("human"),
        output_field=CharField(),
    )
    rows = (
        Box.objects.filter(Q(deleted=False) | Q(source="tracked"), image__project_id=project_id)
        .order_by()
        .annotate(origin=origin)
        .values("label_id", "origin", "deleted", "keyframe")
        .annotate(n=Count("id"))
    )
    return [(r["label_id"], r["origin"], r["deleted"], r["keyframe"], r["n"]) for r in rows]


def correction_sums(**scope) -> list[tuple]:
    """`(label_id, prompt, revision, count, sum of IoU)`: model box vs the live box that corrected it."""
    p = "prediction__"
    inter_w = Greatest(Value(0.0), Least(F("x_max"), F(f"{p}x_max")) - Greatest(F("x_min"), F(f"{p}x_min")))
    inter_h = Greatest(Value(0.0), Least(F("y_max"), F(f"{p}y_max")) - Greatest(F("y_min"), F(f"{p}y_min")))
    area_box = (F("x_max") - F("x_min")) * (F("y_max") - F("y_min"))
    area_pred = (F(f"{p}x_max") - F(f"{p}x_min")) * (F(f"{p}y_max") - F(f"{p}y_min"))
    predictions = predictions_in_scope(**scope).filter(status="corrected").values("id")
    rows = (
        Box.objects.filter(deleted=False, prediction_id__in=predictions)
        .order_by()
        .annotate(iou=inter_w * inter_h / (area_box + area_pred - inter_w * inter_h))
        .values(f"{p}label_id", f"{p}prompt", f"{p}job__revision")
        .annotate(n=Count("id"), total=Sum("iou", output_field=FloatField()))
    )
    return [(r[f"{p}label_id"], r[f"{p}prompt"], r[f"{p}job__revision"], r["n"], r["total"]) for r in rows]


def rating_counts(*, project_id: int, since=None, until=None) -> tuple[dict, int]:
    """`({rating: n}, frames with any rating)`; the date range applies to when a rating was last set."""
    ratings = FrameFeedback.objects.filter(image__project_id=project_id).order_by()
    frames = ratings.aggregate(n=Count("image", distinct=True))["n"]
    if since:
        ratings = ratings.filter(updated_at__gte=since)
    if until:
        ratings = ratings.filter(updated_at__lt=until)
    return {r["rating"]: r["n"] for r in ratings.values("rating").annotate(n=Count("id"))}, frames


def effort_sums(*, project_id: int, idle: float, since=None, until=None) -> list[tuple]:
    """`(pre_annotated, frames, active seconds, final boxes)` over frames with events in range.

    Active seconds per user per frame: gaps between consecutive events of that user on that
    frame, counted only when at most `idle` seconds (see `feedback.metrics.work.active_seconds`).
    """
    if connection.vendor == "postgresql":
        gap = "EXTRACT(EPOCH FROM (created_at - prev))"
    else:
        # julianday() carries ~10 µs of float error: round to the millisecond the timestamps have.
        gap = "ROUND((julianday(created_at) - julianday(prev)) * 86400.0, 3)"
    event, image, job, box = (
        AnnotationEvent._meta.db_table, Image._meta.db_table, DetectionJob._meta.db_table, Box._meta.db_table
    )
    where, params = ["i.project_id = %s", "e.user_id IS NOT NULL"], [project_id]
    if since:
        where.append("e.created_at >= %s")
        params.append(since)
    if until:
        where.append("e.created_at < %s")
        params.append(until)
    sql = f"""
        WITH ev AS (
            SELECT e.image_id, e.created_at,
                   LAG(e.created_at) OVER (PARTITION BY e.image_id, e.user_id ORDER BY e.created_at, e.id) AS prev
            FROM {event} e JOIN {image} i ON i.id = e.image_id
            WHERE {" AND ".join(where)}
        ), frames AS (
            SELECT image_id, SUM(CASE WHEN prev IS NOT NULL AND {gap} <= %s THEN {gap} ELSE 0 END) AS seconds
            FROM ev GROUP BY image_id
        )
        SELECT EXISTS (SELECT 1 FROM {job} j WHERE j.image_id = f.image_id AND j.status = 'done'
                              AND j.kind = 'detect') AS pre,
               COUNT(*), COALESCE(SUM(f.seconds), 0),
               COALESCE(SUM((SELECT COUNT(*) FROM {box} b WHERE b.image_id = f.image_id AND NOT b.deleted)), 0)
        FROM frames f GROUP BY 1
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, idle])
        return [(bool(pre), n, float(seconds), int(boxes)) for pre, n, seconds, boxes in cursor.fetchall()]


def evaluated_per_day(*, project_id: int, since=None, until=None) -> dict:
    """`{date: frames first evaluated (first event or rating) that day}` (UTC days)."""
    event, image, rating = AnnotationEvent._meta.db_table, Image._meta.db_table, FrameFeedback._meta.db_table
    day = "(first AT TIME ZONE 'UTC')::date" if connection.vendor == "postgresql" else "date(first)"
    where, params = [], [project_id, project_id]
    if since:
        where.append("first >= %s")
        params.append(since)
    if until:
        where.append("first < %s")
        params.append(until)
    sql = f"""
        SELECT {day} AS day, COUNT(*) FROM (
            SELECT image_id, MIN(at) AS first FROM (
                SELECT e.image_id, e.created_at AS at FROM {event} e JOIN {image} i ON i.id = e.image_id
                WHERE i.project_id = %s AND e.user_id IS NOT NULL
                UNION ALL
                SELECT r.image_id, r.created_at FROM {rating} r JOIN {image} i ON i.id = r.image_id
                WHERE i.project_id = %s
            ) touches GROUP BY image_id
        ) firsts {"WHERE " + " AND ".join(where) if where else ""}
        GROUP BY 1
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {_date(d): n for d, n in cursor.fetchall()}


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def approved_per_day(*, project_id: int, since=None, until=None) -> dict:
    """`{date: frames approved that day}`: the last review event, else the frame's last change."""
    last_review = AnnotationEvent.objects.filter(image=OuterRef("pk"), action="review").order_by("-created_at")
    when = Coalesce(Subquery(last_review.values("created_at")[:1]), F("updated_at"))
    rows = Image.objects.filter(project_id=project_id, status="approved").order_by().annotate(when=when)
    if since:
        rows = rows.filter(when__gte=since)
    if until:
        rows = rows.filter(when__lt=until)
    return {_date(r["day"]): r["n"] for r in rows.values(day=TruncDate("when")).annotate(n=Count("id"))}


def reviewed_and_judged(**scope) -> bool:
    """Whether any reviewed (approved or rejected) frame has a finished job in scope."""
    return jobs_in_scope(**scope).filter(image__status__in=("approved", "rejected")).exists()


def frames_with_feedback(project_id: int) -> set:
    return set(FrameFeedback.objects.filter(image__project_id=project_id).values_list("image_id", flat=True).distinct())


def pre_annotated_count(project_id: int) -> int:
    """Frames with at least one finished detection job (whatever the filters)."""
    return jobs_in_scope(project_id=project_id).aggregate(n=Count("image", distinct=True))["n"]
