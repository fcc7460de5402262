"""The box write path in as few round trips as PostgreSQL allows: one read that locks, one write.

A box save used to cost a round trip per step: read the box, read the caller's role, lock the
frame, lock or check the box, write it, insert its history event. Here a save is two statements
inside its transaction:

1. **The read that locks** (`box_for_change`, `frame_for_create`): the box joined to its frame (or
   the frame alone), the caller's membership role as a subquery (checked by
   `access.require_member_role`), the label the request names, and for a create the box an
   `Idempotency-Key` already made —
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

Columns come from the models (every concrete field; rows become instances as the ORM makes them,
values are prepared as Django's own INSERT and UPDATE prepare them: `pre_save` fills auto_now
fields, `get_db_prep_save` adapts JSON), so a field added to a model needs no change here.
"""

import json
from functools import cache

from django.db import connection

from annotations import rows
from annotations.models import AnnotationEvent, Box, Image, Label, Membership

User = Box._meta.get_field("created_by").related_model


# The SQL is written once per process (it depends only on the models), not compiled by the ORM on
# every save: compiling these joins and subqueries cost more CPU than running them.

@cache
def _asides_sql(project_column: str) -> str:
    """What both reads bring beside their rows, for the frame's project in `project_column`: the
    caller's membership role, and the label asked for as JSON when it is one of the project's
    (params: user id, label id — NULL asks for none)."""
    return (
        f"(SELECT {rows.column(Membership, 'role')} FROM {rows.table(Membership)} "
        f"WHERE {rows.column(Membership, 'project')} = {project_column} AND {rows.column(Membership, 'user')} = %s "
        f"ORDER BY {rows.column(Membership, 'id')} LIMIT 1) AS member_role, "
        f"(SELECT to_jsonb(asked) FROM {rows.table(Label)} asked "
        f"WHERE asked.id = %s AND asked.project_id = {project_column}) AS label_json"
    )


@cache
def _box_for_change_sql() -> str:
    box, image, label, user = rows.table(Box), rows.table(Image), rows.table(Label), rows.table(User)
    return (
        f"SELECT {rows.all_columns(Box)}, {rows.all_columns(Image)}, {rows.all_columns(Label)}, {rows.all_columns(User)}, "
        f"{_asides_sql(rows.column(Image, 'project'))} "
        f"FROM {box} JOIN {image} ON {rows.column(Image, 'id')} = {rows.column(Box, 'image')} "
        f"JOIN {label} ON {rows.column(Label, 'id')} = {rows.column(Box, 'label')} "
        f"LEFT JOIN {user} ON {rows.column(User, 'id')} = {rows.column(Box, 'created_by')} "
        f"WHERE {rows.column(Box, 'id')} = %s FOR NO KEY UPDATE OF {image}"
    )


@cache
def _frame_for_create_sql() -> str:
    return (
        f"SELECT {rows.all_columns(Image)}, {_asides_sql(rows.column(Image, 'project'))}, "
        f"(SELECT made.id FROM {rows.table(Box)} made WHERE made.image_id = {rows.column(Image, 'id')} "
        f"AND made.client_key = %s) AS keyed_box "
        f"FROM {rows.table(Image)} WHERE {rows.column(Image, 'id')} = %s FOR NO KEY UPDATE"
    )


def _set_asides(obj, member_role, label_json) -> None:
    obj.member_role = member_role
    obj.label_json = json.loads(label_json) if isinstance(label_json, str) else label_json


def label_asked(row) -> Label | None:
    """The label a `*_for_*` read found for `label_id` (None: not one of the frame's project)."""
    data = getattr(row, "label_json", None)
    return None if data is None else rows.instance(Label, [data[f.column] for f in Label._meta.concrete_fields])


def box_for_change(*, pk: int, user, label_id: int | None = None) -> Box | None:
    """Box `pk` with its frame (locked until commit), label and creator; `member_role` the caller's
    role in the frame's project (see `access.require_member_role`), `label_json` the label
    `label_id` when it is the project's."""
    row = rows.fetch_one(_box_for_change_sql(), [user.pk, label_id, pk])
    if row is None:
        return None
    (box_values, image_values, label_values, user_values), (member_role, label_json) = rows.split(row, Box, Image, Label, User)
    box = rows.instance(Box, box_values)
    box.image, box.label = rows.instance(Image, image_values), rows.instance(Label, label_values)
    if box.created_by_id is not None:
        box.created_by = rows.instance(User, user_values)
    _set_asides(box, member_role, label_json)
    return box


def frame_for_create(*, pk: int, user, label_id: int | None = None, client_key: str | None = None) -> Image | None:
    """Frame `pk`, locked until commit; `member_role` the caller's role in its project, `label_json`
    the label `label_id` when it is the project's, `keyed_box` the id of the box `client_key` made."""
    row = rows.fetch_one(_frame_for_create_sql(), [user.pk, label_id, client_key, pk])
    if row is None:
        return None
    (image_values,), (member_role, label_json, keyed_box) = rows.split(row, Image)
    frame = rows.instance(Image, image_values)
    _set_asides(frame, member_role, label_json)
    frame.keyed_box = keyed_box
    return frame


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
