"""Refusals of the hotline services: the core error hierarchy under the hotline's old names.

The names stay for the callers that use them; they *are* the core classes
(:mod:`gridgov.core.errors`), so a refusal raised by the workflow engine, the case loop or the
hotline's own services is caught and answered alike."""

from __future__ import annotations

from typing import TypeAlias

from gridgov.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound

__all__ = ["OrderConflict", "OrderError", "OrderForbidden", "OrderInvalid", "OrderNotFound"]

OrderError: TypeAlias = DomainError
OrderNotFound: TypeAlias = NotFound
OrderForbidden: TypeAlias = Forbidden
OrderConflict: TypeAlias = Conflict
OrderInvalid: TypeAlias = Invalid
