"""Writes of the categories app: create or update a category with its time limits, deactivate.

Every function takes keyword-only arguments and an ``actor`` (the user acting, or ``None`` for
the system), runs in one transaction and writes its audit row in that transaction. A save that
changes nothing writes nothing, not even an audit row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gridgov.core.audit import record
from gridgov.people.models import Department

from .models import Category, CategoryTimeLimit, Stage, TimeUnit, Urgency

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# One segment of a dotted code: lower-case letters, digits and underscores, starting with a letter.
SLUG: Final = re.compile(r"[a-z][a-z0-9_]{0,29}")
NAME_MAX: Final = 100
# (urgency, stage, amount, unit): how the time limits of a minor class are passed around.
TimeLimitSpec = tuple[str, str, int, str]
# Fields compared (and audited) on update, besides the time limits.
FIELDS: Final = (
    "name",
    "default_department",
    "self_handle_allowed",
    "verification_required",
    "result_photo_required",
    "verify_photo_required",
    "filing_condition",
    "closing_condition",
    "sort_order",
    "is_active",
)


def validate_code(code: str, parent: Category | None) -> None:
    """A major class has a one-segment code (``parking``); a minor class its major's code,
    a dot and one segment (``parking.minor``). Minor classes hang under major classes only."""
    if parent is None:
        if not SLUG.fullmatch(code):
            raise ValidationError(
                {"code": _("A major class code is lower-case letters, digits and underscores, e.g. “parking”.")}
            )
        return
    if parent.parent_id is not None:
        raise ValidationError({"parent": _("A minor class must belong to a major class.")})
    prefix = f"{parent.code}."
    if not code.startswith(prefix) or not SLUG.fullmatch(code[len(prefix) :]):
        raise ValidationError(
            {"code": _("A minor class code is its major class code, a dot and a short name, e.g. “parking.minor”.")}
        )


def validate_time_limits(time_limits: Sequence[Sequence[Any]]) -> list[TimeLimitSpec]:
    """Check ``(urgency, stage, amount, unit)`` rows and return them sorted, as plain values."""
    rows: dict[tuple[str, str], TimeLimitSpec] = {}
    for item in time_limits:
        if len(item) != 4:
            raise ValidationError({"time_limits": _("A time limit is (urgency, stage, amount, unit).")})
        urgency, stage, amount, unit = (str(item[0]), str(item[1]), item[2], str(item[3]))
        if urgency not in Urgency.values:
            raise ValidationError({"time_limits": _("Unknown urgency “%(value)s”.") % {"value": urgency}})
        if stage not in Stage.values:
            raise ValidationError({"time_limits": _("Unknown stage “%(value)s”.") % {"value": stage}})
        if unit not in TimeUnit.values:
            raise ValidationError({"time_limits": _("Unknown time unit “%(value)s”.") % {"value": unit}})
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValidationError({"time_limits": _("A time limit must be a whole number above 0.")})
        if (urgency, stage) in rows:
            raise ValidationError(
                {
                    "time_limits": _("Two time limits for %(urgency)s / %(stage)s.")
                    % {"urgency": urgency, "stage": stage}
                }
            )
        rows[(urgency, stage)] = (urgency, stage, amount, unit)
    return [rows[key] for key in sorted(rows)]


def validate_category(
    *,
    code: str,
    name: str,
    parent: Category | None,
    default_department: Department | None,
    self_handle_allowed: bool,
    verification_required: bool,
    filing_condition: str,
    closing_condition: str,
    time_limits: Sequence[Sequence[Any]] | None,
) -> list[TimeLimitSpec] | None:
    """All checks of :func:`category_save` that need no database write. Returns the time
    limits normalised (``None`` when not given). Raises :class:`ValidationError`."""
    if not name.strip():
        raise ValidationError({"name": _("A name is required.")})
    if len(name.strip()) > NAME_MAX:
        raise ValidationError({"name": _("A name has at most 100 characters.")})
    validate_code(code, parent)
    if parent is None:
        # Only minor classes carry a department, flags, conditions and time limits.
        if default_department is not None:
            raise ValidationError({"default_department": _("Only a minor class has a default department.")})
        if self_handle_allowed or not verification_required:
            raise ValidationError({"self_handle_allowed": _("Only a minor class has handling flags.")})
        if filing_condition.strip() or closing_condition.strip():
            raise ValidationError({"filing_condition": _("Only a minor class has filing and closing conditions.")})
        if time_limits:
            raise ValidationError({"time_limits": _("Only a minor class has time limits.")})
    return None if time_limits is None else validate_time_limits(time_limits)


def _stored_time_limits(category: Category) -> list[TimeLimitSpec]:
    rows = CategoryTimeLimit.objects.filter(category=category).values_list("urgency", "stage", "amount", "unit")
    return sorted((urgency, stage, amount, unit) for urgency, stage, amount, unit in rows)


def _audit_value(value: Any) -> Any:
    if isinstance(value, Department):
        return value.code
    return value


@transaction.atomic
def category_save(
    *,
    actor: User | AnonymousUser | None,
    code: str,
    name: str,
    parent: Category | None = None,
    default_department: Department | None = None,
    self_handle_allowed: bool = False,
    verification_required: bool = True,
    result_photo_required: bool | None = None,
    verify_photo_required: bool | None = None,
    filing_condition: str = "",
    closing_condition: str = "",
    sort_order: int = 0,
    is_active: bool = True,
    time_limits: Sequence[Sequence[Any]] | None = None,
) -> tuple[Category, bool]:
    """Create or update the category with ``code``. Returns ``(category, changed)``.

    The photo flags (a report-back needs a result photo, a verification an on-site photo):
    ``None`` keeps the stored ones, or for a new category follows ``verification_required``
    (field categories need photos).

    ``time_limits`` is a sequence of ``(urgency, stage, amount, unit)``; it replaces the stored
    set. ``None`` keeps the stored time limits as they are. A minor class under an inactive
    major class cannot be active.
    """
    code = code.strip()
    name = name.strip()
    limits = validate_category(
        code=code,
        name=name,
        parent=parent,
        default_department=default_department,
        self_handle_allowed=self_handle_allowed,
        verification_required=verification_required,
        filing_condition=filing_condition,
        closing_condition=closing_condition,
        time_limits=time_limits,
    )
    if parent is not None and is_active and not parent.is_active:
        raise ValidationError({"is_active": _("The major class is inactive.")})
    wanted: dict[str, Any] = {
        "name": name,
        "default_department": default_department,
        "self_handle_allowed": self_handle_allowed,
        "verification_required": verification_required,
        "filing_condition": filing_condition.strip(),
        "closing_condition": closing_condition.strip(),
        "sort_order": sort_order,
        "is_active": is_active,
    }
    category = Category.objects.select_for_update().filter(code=code).first()
    created = category is None
    for flag, value in (
        ("result_photo_required", result_photo_required),
        ("verify_photo_required", verify_photo_required),
    ):
        if value is not None:
            wanted[flag] = value
        elif category is None:
            wanted[flag] = verification_required
    changed: dict[str, Any] = {}
    if category is None:
        category = Category.objects.create(code=code, parent=parent, **wanted)
        changed = {key: _audit_value(value) for key, value in wanted.items()}
    else:
        if category.parent_id != (parent.pk if parent is not None else None):
            raise ValidationError({"parent": _("A category cannot move to another major class.")})
        for field_name, value in wanted.items():
            if getattr(category, field_name) != value:
                setattr(category, field_name, value)
                changed[field_name] = _audit_value(value)
        if changed:
            category.save(update_fields=list(changed))
    if not created and not category.is_active and "is_active" in changed and category.is_major:
        # Deactivating a major class deactivates its minor classes too.
        changed["deactivated_children"] = _deactivate_children(category)
    if limits is not None:
        stored = [] if created else _stored_time_limits(category)
        if stored != limits:
            CategoryTimeLimit.objects.filter(category=category).delete()
            CategoryTimeLimit.objects.bulk_create(
                CategoryTimeLimit(category=category, urgency=urgency, stage=stage, amount=amount, unit=unit)
                for urgency, stage, amount, unit in limits
            )
            changed["time_limits"] = [list(row) for row in limits]
    if not changed:
        return category, False
    record(
        action="categories.category_create" if created else "categories.category_update",
        actor=actor,
        obj=category,
        data={"code": code, "changed": changed},
    )
    return category, True


def _deactivate_children(category: Category) -> list[str]:
    codes = list(category.children.filter(is_active=True).values_list("code", flat=True))
    if codes:
        category.children.filter(code__in=codes).update(is_active=False)
    return codes


@transaction.atomic
def category_deactivate(*, actor: User | AnonymousUser | None, category: Category) -> Category:
    """Take a category out of use (new cases cannot pick it; old cases keep it). A major
    class takes its minor classes with it. Does nothing when already inactive."""
    category = Category.objects.select_for_update().get(pk=category.pk)
    children = _deactivate_children(category) if category.is_major else []
    if not category.is_active and not children:
        return category
    category.is_active = False
    category.save(update_fields=["is_active"])
    record(
        action="categories.category_deactivate",
        actor=actor,
        obj=category,
        data={"code": category.code, "children": children},
    )
    return category
