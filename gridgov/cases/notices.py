"""What the case loop's notifications say, rendered in the reader's language when shown or sent.

The services store codes and numbers (``gridgov.notify.rendering``); these renderers turn them
into words. Registered when the app is ready (``CasesConfig.ready``).

=================  =========================================  ===================================
kind               params                                     title
=================  =========================================  ===================================
``case.<action>``  ``number``, ``action``                     the number and the action's label
``case.reported``  ``number``, ``category_name``              "New report <number>: <category>"
``case.warning``   ``number``                                 80 % of the time limit has passed
``case.overdue``   ``number``                                 the case is overdue
``case.digest``    ``cases``, ``overdue``, ``warned``,        how many cases crossed a line;
                   ``numbers`` (up to 20), ``more``           the body lists their numbers
=================  =========================================  ===================================

The note (the body) is what a person typed: the comment of the action, or the report's
description. ``category_name`` is the category's name as the installation keeps it (one
language, not a translation).
"""

from __future__ import annotations

from django.utils.translation import gettext

from gridgov.notify.rendering import Params, Rendered, renders

from .transitions import ACTION_LABELS


@renders("case.*")
def action_notice(params: Params, note: str) -> Rendered:
    action = str(params["action"])
    return Rendered(f"{params['number']} {ACTION_LABELS.get(action, action)}", note)


@renders("case.reported")
def reported_notice(params: Params, note: str) -> Rendered:
    title = gettext("New report %(number)s: %(category)s") % {
        "number": params["number"],
        "category": params["category_name"],
    }
    return Rendered(title, note)


@renders("case.overdue")
def overdue_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("%(number)s is overdue") % {"number": params["number"]}, note)


@renders("case.warning")
def warning_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("%(number)s: 80%% of the time limit has passed") % {"number": params["number"]}, note)


@renders("case.digest")
def digest_notice(params: Params, note: str) -> Rendered:
    title = gettext("%(n)s cases crossed a time limit: %(overdue)s overdue, %(warned)s at 80%%") % {
        "n": params["cases"],
        "overdue": params["overdue"],
        "warned": params["warned"],
    }
    more = int(params.get("more", 0))
    body = "、".join(str(number) for number in params["numbers"])
    if more > 0:
        body += gettext(" and %(more)s more") % {"more": more}
    return Rendered(title, body)
