"""What the meetings' notices say, rendered in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext

from gridgov.notify.rendering import Params, Rendered, renders


@renders("meeting.invited")
def invited_notice(params: Params, note: str) -> Rendered:
    return Rendered(
        gettext("Invited to “%(title)s”, %(at)s, %(place)s")
        % {"title": params.get("title", ""), "at": params.get("at", ""), "place": params.get("place", "")},
        note,
    )


@renders("meeting.resolution")
def resolution_notice(params: Params, note: str) -> Rendered:
    return Rendered(
        gettext("Resolution %(number)s of “%(title)s” for you, due %(deadline)s")
        % {
            "number": params.get("number", ""),
            "title": params.get("title", ""),
            "deadline": params.get("deadline", ""),
        },
        note,
    )
