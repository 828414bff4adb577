"""The assessment's figure on the discipline office's console: appeals the office reviews (a
decision proposed by the center and waiting for its review) and those decided lately, each
opening the appeals page."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.oversight.registry import Column, Context, Rule, local_time, register
from gridgov.people.selectors import display_name

from .models import Appeal, AppealStatus


def appeals_for_review(context: Context) -> QuerySet[Any]:
    """Appeals of the town's periods waiting for the office's review, or decided in the window."""
    return (
        Appeal.objects.filter(period__town=context.town)
        .filter(Q(status=AppealStatus.PROPOSED) | Q(status=AppealStatus.DECIDED, decided_at__gte=context.since))
        .select_related("result", "period", "appellant")
        .order_by("status", "-submitted_at", "-pk")
    )


COLUMNS = (
    Column(_("No."), lambda a: a.pk),
    Column(_("Assessed"), lambda a: a.result.label),
    Column(_("Appellant"), lambda a: display_name(a.appellant)),
    Column(_("Reason"), lambda a: a.reason),
    Column(_("Status"), lambda a: a.get_status_display()),
    Column(_("Decision"), lambda a: a.get_decision_display() if a.decision else ""),
    Column(_("Submitted at"), lambda a: local_time(a.submitted_at)),
)


def register_rules() -> None:
    register(
        Rule(
            "assessment_appeals",
            _("Assessment appeals"),
            _(
                "Appeals against the town's assessment results whose decision the center proposed and "
                "the discipline office has to review, and those decided in the last %(period_days)s days."
            ),
            appeals_for_review,
            COLUMNS,
            link=lambda appeal: reverse("assessment:appeals") + f"#appeal-{appeal.pk}",
            order=140,
            group=_("Assessment"),
        )
    )
