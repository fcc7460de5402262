"""The box write path in as few round trips as PostgreSQL allows: one read that locks, one write.

A box save used to cost a round trip per step: read the box, read the caller's role, lock the
frame, lock or check the box, write it, insert its history event. Here a save is two statements
inside its transaction:

1. **The read that locks** (`box_for_change`, `frame_for_create`): the box joined to its frame (or
   the frame alone), the caller's membership role as a subquery (`access.with_member_role`), the
   label the request names, and for a create the box an `Idempotency-Key` already made —
   `SELECT … FOR NO KEY UPDATE OF <frame>`. That is step 1 of the lock order
   (annotations/services/locking.py), in the same mode as `frame_lock`.
2. **The write and its event** (`box_update_with_event`, `box_insert_with_event`): one statement,
   `WITH written AS (UPDATE box … WHERE version = %s RETURNING id) INSERT INTO event … SELECT …
   FROM written`. The UPDATE takes the box's row lock (step 3 of the order) and checks the
   version in the same breath; when it matches no row, the event is not inserted either, and the
   caller learns it from the empty answer (StaleVersion).

Why the version check stays in the UPDATE although the frame is locked: after waiting for the
frame's lock PostgreSQL re-reads only the locked row, so the box columns of the read can date
from before the wait. The read decides nothing on its own about the box; the UPDATE does.

Columns come from the models (every concrete field, values prepared as Django's own INSERT and
UPDATE prepare them: `pre_save` fills auto_now fields, `get_db_prep_save` adapts JSON), so a
field added to Box or AnnotationEvent needs no change here.
"""

from django.db import connection
from django.db.models import OuterRef, Subquery
from django.db.models.functions import JSONObject

from annotations.access import with_member_role
from annotations.models import AnnotationEvent, Box, Image, Label

_LABEL_FIELDS = tuple(field.attname for field in Label._meta.concrete_fields)


def _label_in_project(label_id: int, project_field: str) -> Subquery:
    """The label `label_id` as a JSON object if it belongs to the project in `project_field`, else NULL."""
    labels = Label.objects.filter(pk=label_id, project_id=OuterRef(project_field))
    return Subquery(labels.values(json=JSONObject(**{name: name for name in _LABEL_FIELDS}))[:1])


def label_asked(row) -> Label | None:
    """The label a `*_for_*` read found for `label_id` (None: not one of the frame's project)."""
    data = getattr(row, "label_json", None)
    return None if data is None else Label(**{name: data[name] for name in _LABEL_FIELDS})


def box_for_change(*, pk: int, user, label_id: int | None = None) -> Box | None:
    """Box `pk` with its frame (locked until commit), label and creator; `member_role` the caller's
    role in the frame's project, `label_json` the label `label_id` when it is the project's."""
    boxes = with_member_role(Box.objects.filter(pk=pk), user=user, project_field="image__project_id")
    if label_id is not None:
        boxes = boxes.annotate(label_json=_label_in_project(label_id, "image__project_id"))
    boxes = boxes.select_related("image", "label", "created_by").select_for_update(no_key=True, of=("image",))
    return boxes.first()


def frame_for_create(*, pk: int, user, label_id: int | None = None, client_key: str | None = None) -> Image | None:
    """Frame `pk`, locked until commit; `member_role` the caller's role in its project, `label_json`
    the label `label_id` when it is the project's, `keyed_box` the id of the box `client_key` made."""
    frames = with_member_role(Image.objects.filter(pk=pk), user=user, project_field="project_id")
    if label_id is not None:
        frames = frames.annotate(label_json=_label_in_project(label_id, "project_id"))
    if client_key is not None:
        made = Box.objects.filter(image_id=OuterRef("pk"), client_key=client_key).values("pk")[:1]
        frames = frames.annotate(keyed_box=Subquery(made))
    return frames.select_for_update(no_key=True).first()


def _prepared(instance, names, *, add: bool) -> tuple[list[str], list]:
    """Quoted columns and their values for the fields `names` of `instance`, as Django's save prepares them."""
    fields = [instance._meta.get_field(name) for name in names]
    columns = [connection.ops.quote_name(field.column) for field in fields]
    return columns, [field.get_db_prep_save(field.pre_save(instance, add), connection) for field in fields]


_EVENT_FIELDS = tuple(f.name for f in AnnotationEvent._meta.concrete_fields if not f.primary_key and f.name != "box")
_BOX_FIELDS = tuple(f.name for f in Box._meta.concrete_fields if not f.primary_key)


def _event_insert(event: AnnotationEvent, *, after_gets_box_id: bool) -> tuple[str, list]:
    """`INSERT INTO event … SELECT … FROM written` for the box the CTE `written` returned.

    A create's `after` snapshot names the box's id, which exists only once the INSERT ran:
    `jsonb_set` writes it in (`after_gets_box_id`)."""
    columns, values = _prepared(event, _EVENT_FIELDS, add=True)
    placeholders = ["%s"] * len(values)
    if after_gets_box_id:
        placeholders[_EVENT_FIELDS.index("after")] = "jsonb_set(%s, '{id}', to_jsonb(written.id))"
    table, box_column = AnnotationEvent._meta.db_table, AnnotationEvent._meta.get_field("box").column
    sql = (
        f"INSERT INTO {connection.ops.quote_name(table)} ({connection.ops.quote_name(box_column)}, {', '.join(columns)}) "
        f"SELECT written.id, {', '.join(placeholders)} FROM written RETURNING {connection.ops.quote_name(box_column)}, id"
    )
    return sql, values


def box_update_with_event(box: Box, *, version: int, fields: list[str], event: AnnotationEvent) -> bool:
    """Write `fields` of `box` (and `updated_at`) if its row is still live at `version`, and insert
    `event` for it, in one statement; False (nothing written) when the row moved on."""
    columns, values = _prepared(box, [*fields, "updated_at"], add=False)
    assignments = ", ".join(f"{column} = %s" for column in columns)
    event_sql, event_values = _event_insert(event, after_gets_box_id=False)
    sql = (
        f"WITH written AS (UPDATE {connection.ops.quote_name(Box._meta.db_table)} SET {assignments} "
        f"WHERE id = %s AND version = %s AND NOT deleted RETURNING id) {event_sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, box.pk, version, *event_values])
        row = cursor.fetchone()
    if row is None:
        return False
    event.box_id, event.pk = row
    return True


def box_insert_with_event(box: Box, *, event: AnnotationEvent) -> bool:
    """Insert `box` and `event` (whose `after` gets the new id) in one statement; sets `box.pk`.

    False (nothing written) when the box's `client_key` is already taken on its frame: a copy of
    the same create won the race (`ON CONFLICT … DO NOTHING` names only that unique index, so any
    other constraint still raises)."""
    columns, values = _prepared(box, _BOX_FIELDS, add=True)
    event_sql, event_values = _event_insert(event, after_gets_box_id=True)
    sql = (
        f"WITH written AS (INSERT INTO {connection.ops.quote_name(Box._meta.db_table)} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(values))}) "
        "ON CONFLICT (image_id, client_key) WHERE client_key IS NOT NULL DO NOTHING RETURNING id) "
        f"{event_sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *event_values])
        row = cursor.fetchone()
    if row is None:
        return False
    box.pk, event.pk = row
    event.box = box
    event.after = {**event.after, "id": box.pk}
    return True
