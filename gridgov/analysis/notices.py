"""What the weekly analysis's notices say, rendered in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext

from gridgov.notify.rendering import Params, Rendered, renders


def _about(params: Params) -> dict[str, str]:
    return {"grid": str(params.get("grid", "")), "week": str(params.get("week", ""))}


@renders("weekly.*")
def step_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("Weekly analysis of %(grid)s, week of %(week)s: a new step") % _about(params), note)


@renders("weekly.submit")
def submitted_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("Weekly analysis of %(grid)s, week of %(week)s, to check") % _about(params), note)


@renders("weekly.approve")
def approved_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("Weekly analysis of %(grid)s, week of %(week)s, to accept") % _about(params), note)


@renders("weekly.send_back", "weekly.return")
def returned_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("Weekly analysis of %(grid)s, week of %(week)s, returned") % _about(params), note)


@renders("weekly.accept")
def accepted_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("Weekly analysis of %(grid)s, week of %(week)s, accepted") % _about(params), note)


@renders("weekly.overdue")
def overdue_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("Weekly analysis of %(grid)s, week of %(week)s, is overdue") % _about(params), note)
