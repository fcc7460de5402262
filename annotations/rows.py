"""SQL written once per process for the hottest reads (a box save, a token check), and model
instances made from its rows as the ORM makes them.

The ORM compiles a queryset's SQL on every call; for the few reads every request makes, that
compilation cost more CPU than running the query (bench/api_boxes.py). Column lists come from
the models, so a field added to a model needs no change here.
"""

from django.db import connection


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model, name: str) -> str:
    """`"table"."column"` of the field `name` of `model`."""
    return f"{table(model)}.{connection.ops.quote_name(model._meta.get_field(name).column)}"


def all_columns(model) -> str:
    """Every concrete column of `model`, in field order (what `instance` takes)."""
    return ", ".join(f"{table(model)}.{connection.ops.quote_name(f.column)}" for f in model._meta.concrete_fields)


def instance(model, values):
    """A model instance from its columns' values as the database returned them (as the ORM makes
    it: `from_db_value` converters applied, then `Model.from_db`)."""
    fields = model._meta.concrete_fields
    values = [f.from_db_value(v, None, connection) if hasattr(f, "from_db_value") else v for f, v in zip(fields, values)]
    return model.from_db(connection.alias, [f.attname for f in fields], values)


def fetch_one(sql: str, params: list):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def split(row, *models) -> tuple[list, list]:
    """The row cut into each model's columns (`all_columns` of each, in order), then the rest."""
    parts, start = [], 0
    for model in models:
        end = start + len(model._meta.concrete_fields)
        parts.append(row[start:end])
        start = end
    return parts, list(row[start:])
