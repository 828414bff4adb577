"""What the oversight's notices say, rendered in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext

from gridgov.notify.rendering import Params, Rendered, renders


@renders("oversight.supervision")
def supervision_notice(params: Params, note: str) -> Rendered:
    return Rendered(
        gettext("Supervision notice of the discipline office on %(target)s: answer by %(deadline)s")
        % {"target": params.get("target", ""), "deadline": params.get("deadline", "")},
        note,
    )


@renders("oversight.supervision_answered")
def answered_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("Supervision notice on %(target)s answered") % {"target": params.get("target", "")}, note)
