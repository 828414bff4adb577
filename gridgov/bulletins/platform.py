"""Checking the town's case figures against an upstream city-management platform's (核对).

The platform (a city's 数字城管 system the town also reports to) publishes a town's monthly
figures; the center types them in (:func:`check_enter`) and the system puts its own beside them,
computed from the indices for the same month and frozen at that moment. Every figure that
differs is a difference to explain (:func:`check_explain`, with a reason); once each one is
explained (or none differs) the check is settled. Typing the figures in again (a corrected
publication) recomputes ours and keeps the explanations of the figures that still differ by
the same amount. Every write goes through the workflow engine, whose history is the audit log
(``bulletin.platform_enter``, ``bulletin.platform_explain``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.cases import indices
from gridgov.cases.indices import Dimensions, Period
from gridgov.cases.models import Case
from gridgov.core.actors import signed_in_user
from gridgov.core.audit import record
from gridgov.core.errors import Conflict, Forbidden, Invalid, NotFound
from gridgov.core.workflow import Step, Workflow, row
from gridgov.people.selectors import display_name

from .models import CheckStatus, PlatformCheck
from .services import bulletin_areas, check_month, may_issue

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.core.models import AuditEvent

# The figures a city platform publishes per town and month, in the indices' terms.
CODES: Final = ("reported", "registered", "due", "closed", "closed_on_time")
MAX_COUNT: Final = 10_000_000
MAX_REASON: Final = 1000
PLATFORM_DEFAULT: Final = gettext_lazy("City-management platform")


def checks_visible(user: User | AnonymousUser) -> QuerySet[PlatformCheck]:
    towns = bulletin_areas(user).filter(level="town")
    return PlatformCheck.objects.filter(town__in=towns.values("pk")).select_related("town", "created_by")


def check_get(user: User | AnonymousUser, pk: int) -> PlatformCheck:
    try:
        return checks_visible(user).get(pk=pk)
    except PlatformCheck.DoesNotExist:
        raise NotFound(_("No such check.")) from None


def our_figures(town_code: str, month: dt.date) -> dict[str, int]:
    period, town = Period.of_month(month), Dimensions(area=town_code)
    figures = indices.figures(Case.objects.all(), period, town, CODES, scope=Q())  # Q(): every case, on the rollups
    return {code: figures[code].num for code in CODES}


def differences(check: PlatformCheck) -> list[str]:
    """The codes whose two figures differ."""
    return [code for code in CODES if code in check.entered and check.entered[code] != check.ours.get(code)]


def unexplained(check: PlatformCheck) -> list[str]:
    """The codes that differ and have no explanation yet."""
    return [code for code in differences(check) if code not in check.explanations]


def clean_figures(values: dict[str, Any]) -> dict[str, int]:
    """The platform's figures: whole numbers from 0, at least one given."""
    cleaned: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    for code in CODES:
        value = values.get(code)
        if value is None or value == "":
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            errors[code] = [_("Enter a whole number.")]
            continue
        if (isinstance(value, float) and value != number) or number < 0 or number > MAX_COUNT:
            errors[code] = [_("Enter a whole number from 0 to %(n)s.") % {"n": MAX_COUNT}]
            continue
        cleaned[code] = number
    if errors:
        raise Invalid(_("Some figures are not valid."), details=errors)
    if not cleaned:
        raise Invalid(_("Enter at least one of the platform's figures."), details={"reported": [_("Required.")]})
    return cleaned


# --- the workflow --------------------------------------------------------------------------------

ENTER: Final = "platform_enter"
EXPLAIN: Final = "platform_explain"


class CheckFlow(Workflow[PlatformCheck, "User | AnonymousUser"]):
    model = PlatformCheck

    def parties(self, actor: User | AnonymousUser, subject: PlatformCheck) -> set[str]:
        return {"center"} if may_issue(actor) and checks_visible(actor).filter(pk=subject.pk).exists() else set()

    def visible(self, actor: User | AnonymousUser) -> Q:
        return Q(pk__in=checks_visible(actor).values("pk"))

    def record(self, step: Step[PlatformCheck, User | AnonymousUser]) -> AuditEvent:
        check = step.subject
        data = {"town": check.town.code, "month": f"{check.month:%Y-%m}", "platform": check.platform, **step.data}
        return record(action=f"bulletin.{step.action}", actor=step.actor, obj=check, data=data)


CHECKS = CheckFlow(
    "platform_check",
    [
        row(ENTER, {CheckStatus.OPEN, CheckStatus.SETTLED}, "=", {"center"}, required=("entered",)),
        row(EXPLAIN, {CheckStatus.OPEN, CheckStatus.SETTLED}, "=", {"center"}, required=("code", "reason")),
    ],
    labels={ENTER: gettext_lazy("Enter the platform's figures"), EXPLAIN: gettext_lazy("Explain")},
)


@CHECKS.effect(ENTER)
def _enter(step: Step[PlatformCheck, User | AnonymousUser]) -> None:
    check = step.subject
    entered: dict[str, int] = step.input("entered")
    ours = our_figures(check.town.code, check.month)
    before = {code: (check.entered.get(code), check.ours.get(code)) for code in CODES}
    kept = {
        code: value
        for code, value in check.explanations.items()
        if before.get(code) == (entered.get(code), ours.get(code))
    }
    check.entered, check.ours, check.explanations = entered, ours, kept
    step.set(entered=entered, ours=ours, explanations=kept)
    step.data.update({"entered": entered, "ours": ours})
    step.target = CheckStatus.OPEN if unexplained(check) else CheckStatus.SETTLED


@CHECKS.effect(EXPLAIN)
def _explain(step: Step[PlatformCheck, User | AnonymousUser]) -> None:
    check = step.subject
    code = str(step.input("code"))
    reason = str(step.input("reason"))
    if code not in differences(check):
        raise Invalid.field("code", _("This figure agrees with the platform's: nothing to explain."))
    if len(reason) > MAX_REASON:
        raise Invalid.field(
            "reason", _("At most %(n)s characters (this has %(count)s).") % {"n": MAX_REASON, "count": len(reason)}
        )
    explanations = dict(check.explanations)
    explanations[code] = {
        "reason": reason,
        "by": display_name(step.actor) if getattr(step.actor, "is_authenticated", False) else "",  # type: ignore[arg-type]
        "at": timezone.localtime(step.now).strftime("%Y-%m-%d %H:%M"),
    }
    check.explanations = explanations
    step.set(explanations=explanations)
    step.data.update({"code": code, "reason": reason})
    step.target = CheckStatus.OPEN if unexplained(check) else CheckStatus.SETTLED


CHECKS.check_complete()


def check_enter(
    *, actor: User | AnonymousUser, town_code: str, month: dt.date, platform: str, figures: dict[str, Any]
) -> PlatformCheck:
    """Type in the platform's figures of a town and month (again: replaces them)."""
    if not may_issue(actor):
        raise Forbidden(_("You may not check the figures."))
    town = bulletin_areas(actor).filter(level="town", code=town_code).first()
    if town is None:
        raise Invalid.field("town", _("Choose a town of yours."))
    first = check_month(month, timezone.localdate())
    with translation.override(settings.LANGUAGE_CODE):  # stored: in the town's language
        name = (platform or "").strip() or str(PLATFORM_DEFAULT)
    if len(name) > 60:
        raise Invalid.field("platform", _("At most %(n)s characters.") % {"n": 60})
    entered = clean_figures(figures)
    for _attempt in range(2):
        with transaction.atomic():
            existing = PlatformCheck.objects.filter(town=town, month=first, platform=name).first()
            if existing is not None:
                return CHECKS.act(existing.pk, ENTER, actor=actor, inputs={"entered": entered})
            try:
                with transaction.atomic():
                    check = PlatformCheck.objects.create(
                        town=town, month=first, platform=name, created_by=signed_in_user(actor), entered={}, ours={}
                    )
            except IntegrityError:
                continue  # entered at the same moment by someone else: enter over theirs
            return CHECKS.act(check.pk, ENTER, actor=actor, inputs={"entered": entered})
    raise Conflict(_("Someone else entered these figures meanwhile; try again."), code="busy")


def check_explain(
    *, actor: User | AnonymousUser, pk: int, code: str, reason: str, version: int | None = None
) -> PlatformCheck:
    return CHECKS.act(pk, EXPLAIN, actor=actor, inputs={"code": code, "reason": reason}, version=version)


def rows(check: PlatformCheck) -> list[dict[str, Any]]:
    """One row per figure: the platform's, ours, the difference and its explanation."""
    result = []
    for code in CODES:
        platform = check.entered.get(code)
        ours = check.ours.get(code)
        result.append(
            {
                "code": code,
                "label": str(indices.INDICES[code].label),
                "platform": platform,
                "ours": ours,
                "difference": None if platform is None or ours is None else ours - platform,
                "explanation": check.explanations.get(code),
            }
        )
    return result
