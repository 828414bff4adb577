"""What the assessment's notices say, rendered in the reader's language when shown or sent.

``assessment.published`` (a period's results published, sent to every assessed person) stores the
period's ``kind`` and ``start`` (ISO date); its title names the period as ``Period.title`` does.
Registered when the app is ready (``AssessmentConfig.ready``).
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext

from gridgov.notify.rendering import Params, Rendered, renders

from .models import Period

PUBLISHED_KIND = "assessment.published"


def published_params(period: Period) -> dict[str, str]:
    return {"kind": period.kind, "start": period.start.isoformat()}


@renders(PUBLISHED_KIND)
def published_notice(params: Params, note: str) -> Rendered:
    period = Period(kind=str(params["kind"]), start=dt.date.fromisoformat(str(params["start"])))
    return Rendered(gettext("The results of %(title)s are published") % {"title": period.title}, note)
