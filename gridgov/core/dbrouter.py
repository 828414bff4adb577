"""Statistics read from a replica of the database (``DATABASE_REPLICA_URL``, docs/deployment.md,
"Several machines").

With a replica configured, settings add the ``replica`` database and this router. The replica
is used only where the project says so, by :func:`replica_reads` (a ``with`` block) or
:func:`reads_from_replica` (a view decorator): the statistics pages, the cockpit and the
figures of a bulletin, whose few seconds of replication lag nobody can tell from the time the
page took. Everything else reads the primary, so a person always sees what they have just
written on the pages where they wrote it.

Inside such a block a read still goes to the primary when

- there is no replica (``DATABASE_REPLICA_URL`` unset: one database, nothing changes);
- the primary is in a transaction (``atomic``): what the transaction reads must be what it
  writes against, and a rollup or an audit row is written in one;
- the model belongs to the accounts, sessions, two-step devices, the people's roles and scopes,
  or the core (audit, keys): who may see what is decided on the primary, never on data a few
  seconds old (:data:`PRIMARY_ONLY_APPS`).

Writes always go to the primary, and nothing is migrated on the replica (it copies the
primary's schema). In the test suite the replica is a test mirror of the primary: tests that
commit read through the replica's own connection, as production does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models

REPLICA = "replica"
# Apps whose rows decide who may see what, or that hold the audit chain and keys.
PRIMARY_ONLY_APPS = frozenset(
    {"auth", "contenttypes", "sessions", "admin", "otp_totp", "otp_static", "django_otp", "people", "core"}
)

_replica_wanted: ContextVar[bool] = ContextVar("gridgov_replica_reads", default=False)

View = TypeVar("View", bound=Callable[..., Any])


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in this block may come from the replica (see the module for when they do not)."""
    token = _replica_wanted.set(True)
    try:
        yield
    finally:
        _replica_wanted.reset(token)


@contextmanager
def primary_reads() -> Iterator[None]:
    """Reads in this block go to the primary, even inside :func:`replica_reads` (what a
    process keeps for later requests, ``gridgov.core.tableversions``, is read where its version
    is)."""
    token = _replica_wanted.set(False)
    try:
        yield
    finally:
        _replica_wanted.reset(token)


def reads_from_replica(view: View) -> View:
    """A view whose reads may come from the replica (statistics, the cockpit)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def read_alias(model: type[models.Model]) -> str:
    """Where a read of ``model`` goes now (the router's answer, ``default`` when it has none)."""
    return ReplicaRouter().db_for_read(model) or DEFAULT_DB_ALIAS


class ReplicaRouter:
    """Reads inside :func:`replica_reads` to the replica; everything else to the primary."""

    def db_for_read(self, model: type[models.Model], **hints: Any) -> str | None:
        if not _replica_wanted.get() or not replica_configured():
            return None
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return None
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None
        return REPLICA

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool:
        # The replica holds the primary's rows: an object read there may point at one read here.
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db != REPLICA
