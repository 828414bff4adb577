"""What the upstream outbox's notice says, rendered in the reader's language when shown or sent.

``upstream.failed`` (a message given up on, sent to the center of the order's town) stores the
order's codes (``gridgov.hotline.notices.order_params``), ``message`` (the message's kind code)
and ``attempts``; its note is the petitioner's masked phone. Registered when the app is ready
(``UpstreamConfig.ready``).
"""

from __future__ import annotations

from django.utils.translation import gettext

from gridgov.hotline.notices import order_summary
from gridgov.notify.rendering import Params, Rendered, renders

from .models import MessageKind

FAILED_KIND = "upstream.failed"


@renders(FAILED_KIND)
def failed_notice(params: Params, note: str) -> Rendered:
    kind = str(params["message"])
    title = gettext("12345 %(number)s: “%(kind)s” could not be delivered upstream") % {
        "number": params["number"],
        "kind": MessageKind(kind).label if kind in MessageKind.values else kind,
    }
    gave_up = gettext("Gave up after %(attempts)s attempts; retry it from the delivery page.") % {
        "attempts": params["attempts"]
    }
    return Rendered(title, " · ".join(part for part in (gave_up, order_summary(params, note)) if part))
