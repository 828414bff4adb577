"""One new row of a model inserted through a statement built once per model.

``Model.save(force_insert=True)`` compiles its ``INSERT`` anew every time: on a report, which
writes six rows in one transaction, that compiling was a third of the request's time and
stretched the transaction that holds the write lock (SQLite) or the town's number row
(PostgreSQL). :func:`insert` writes the same row with the same values: each field's
``pre_save`` (``auto_now_add``) and ``get_db_prep_save`` (JSON, encryption, dates) as Django's
insert compiler calls them, into a statement kept per model and database; the new key comes
back with ``RETURNING`` and the instance is then what ``save`` leaves (``pk`` set, no longer
``adding``).

It sends ``pre_save`` and ``post_save`` as ``save`` does (the cases' rollups are kept by them).
Where it would not write the same, it calls ``save`` instead: a model with a ``save`` of its
own (unless it says ``insert_skips_save``: its ``save`` only guards updates), with parents
(multi-table inheritance), a field with a database default, a generated field or a placeholder
of its own; a value that is an expression (``F()``, ``Now()``) is written by Django's insert
compiler. ``gridgov/core/tests/test_inserts.py`` compares the rows both ways write.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, NotSupportedError, connections, transaction
from django.db.models import NOT_PROVIDED, Field, Model
from django.db.models.signals import post_save, pre_save

__all__ = ["FEW", "insert", "insert_all"]

# Up to this many rows, one planned insert each instead of one multi-row INSERT: one row is
# cheaper planned; two already cost a statement more (a round trip on PostgreSQL).
FEW = 1


class _Plan:
    __slots__ = ("fields", "pk", "sql")

    def __init__(self, sql: str, fields: tuple[Field[Any, Any], ...], pk: Field[Any, Any] | None) -> None:
        self.sql = sql
        self.fields = fields
        self.pk = pk  # the key the database gives (None: the instance brings its own)


# (model, database alias, key given) -> plan, or None where ``save`` must do it.
_PLANS: dict[tuple[type[Model], str, bool], _Plan | None] = {}


def _plan(model: type[Model], using: str, with_key: bool) -> _Plan | None:
    connection = connections[using]
    meta = model._meta
    if meta.parents or not connection.features.can_return_columns_from_insert:
        return None
    if model.save is not Model.save and not getattr(model, "insert_skips_save", False):
        return None  # a save of its own: it may do more than write the row
    fields = tuple(
        field
        for field in meta.local_concrete_fields
        if with_key or not (field.primary_key and field is meta.auto_field)
    )
    for field in fields:
        if field.db_default is not NOT_PROVIDED or getattr(field, "generated", False):
            return None
        if hasattr(field, "get_placeholder"):
            return None
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    values = ", ".join(["%s"] * len(fields))
    pk = None if with_key else meta.pk
    returning = f" RETURNING {quote(pk.column)}" if pk is not None else ""
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({values}){returning}"  # noqa: S608 (model names)
    return _Plan(sql, fields, pk)


def _plan_for(obj: Model, using: str) -> _Plan | None:
    key = (type(obj), using, obj.pk is not None)
    if key not in _PLANS:
        _PLANS[key] = _plan(type(obj), using, obj.pk is not None)
    return _PLANS[key]


def insert(obj: Model, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Insert ``obj`` as a new row, as ``obj.save(force_insert=True, using=using)`` does, with
    its ``pre_save`` and ``post_save`` signals."""
    _insert(obj, using, signals=True)


def _insert(obj: Model, using: str, *, signals: bool) -> None:
    if not obj._state.adding:
        raise ValueError("insert() writes new rows only")
    model = type(obj)
    plan = _plan_for(obj, using)
    if plan is None:
        obj.save(force_insert=True, using=using)
        return
    signals = signals and not model._meta.auto_created
    obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    if signals:  # (after the related fields, as save does)
        pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=None)
    connection = connections[using]
    values = [field.pre_save(obj, True) for field in plan.fields]
    if any(hasattr(value, "resolve_expression") for value in values):
        _save_table(obj, using)
    else:
        params = [field.get_db_prep_save(value, connection) for field, value in zip(plan.fields, values, strict=True)]
        # As save does: an error inside an atomic block marks it for rollback.
        with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            if plan.pk is not None:
                row = cursor.fetchone()
                if row is None:  # pragma: no cover - RETURNING always gives the row
                    raise NotSupportedError("the insert returned no key")
                setattr(obj, plan.pk.attname, row[0])
    obj._state.db = using
    obj._state.adding = False
    if signals:
        post_save.send(sender=model, instance=obj, created=True, update_fields=None, raw=False, using=using)


def _save_table(obj: Model, using: str) -> None:
    """What ``save_base`` does between its signals, for a value the database computes."""
    with transaction.mark_for_rollback_on_error(using):
        obj._save_table(raw=False, cls=type(obj), force_insert=True, using=using)  # type: ignore[attr-defined]


M = TypeVar("M", bound=Model)


def insert_all(objs: list[M], *, using: str = DEFAULT_DB_ALIAS) -> list[M]:
    """New rows of one model, as ``bulk_create`` writes them (keys set; no ``save``, no
    signals): a planned insert for one, ``bulk_create`` for more (or where no plan can be
    made)."""
    if len(objs) > FEW or any(_plan_for(obj, using) is None for obj in objs):
        return type(objs[0])._default_manager.using(using).bulk_create(objs)
    for obj in objs:
        _insert(obj, using, signals=False)
    return objs
