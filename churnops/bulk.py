"""Fast bulk upsert for PostgreSQL: COPY into a temporary table, then one INSERT ... ON CONFLICT.

On PostgreSQL this is ~20x faster than bulk_create(update_conflicts=True) (PERF_NOTES: 100k rows in
about a second); other databases fall back to the ORM's upsert.
"""

from collections.abc import Sequence

from django.db import connection

# Rows per ORM upsert statement where COPY is not available: well under SQLite's variable limit.
ORM_BATCH = 1000


def model_upsert(*, model, objs: Sequence, unique_fields: Sequence[str], update_fields: Sequence[str]) -> None:
    """Insert `objs`, updating `update_fields` of rows whose `unique_fields` already exist."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=ORM_BATCH, update_conflicts=True, unique_fields=unique_fields,
                                  update_fields=update_fields)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    column = {f.name: f.column for f in fields}
    cols = ", ".join(f.column for f in fields)
    table, tmp = model._meta.db_table, f"tmp_{model._meta.db_table}"
    assignments = ", ".join(f"{column[name]} = EXCLUDED.{column[name]}" for name in update_fields)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {tmp}")
        cursor.execute(f"CREATE TEMP TABLE {tmp} ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA")
        with cursor.cursor.copy(f"COPY {tmp} ({cols}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
        cursor.execute(
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {tmp} "
            f"ON CONFLICT ({', '.join(column[n] for n in unique_fields)}) DO UPDATE SET {assignments}"
        )
        cursor.execute(f"DROP TABLE {tmp}")
