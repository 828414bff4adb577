"""What the leaders' tasks' notices say, rendered in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext

from gridgov.notify.rendering import Params, Rendered, renders


def _about(params: Params) -> dict[str, str]:
    return {
        "title": str(params.get("title", "")),
        "owner": str(params.get("owner", "")),
        "deadline": str(params.get("deadline", "")),
    }


@renders("assignment.*")
def step_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("Leader's task “%(title)s”: a new step") % _about(params), note)


@renders("assignment.assigned")
def assigned_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("New leader's task for you: “%(title)s”, due %(deadline)s") % _about(params), note)


@renders("assignment.created_for")
def created_for_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("The center gave “%(title)s” in your name") % _about(params), note)


@renders("assignment.accept")
def accepted_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("%(owner)s accepted “%(title)s”") % _about(params), note)


@renders("assignment.progress")
def progress_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("%(owner)s reported progress on “%(title)s”") % _about(params), note)


@renders("assignment.request_extension")
def extension_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("%(owner)s asks to extend “%(title)s”") % _about(params), note)


@renders("assignment.grant_extension")
def granted_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("Extension of “%(title)s” granted: now due %(deadline)s") % _about(params), note)


@renders("assignment.refuse_extension")
def refused_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("Extension of “%(title)s” refused: still due %(deadline)s") % _about(params), note)


@renders("assignment.submit")
def submitted_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("%(owner)s submitted “%(title)s” as done: to approve") % _about(params), note)


@renders("assignment.approve")
def approved_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("“%(title)s” approved as done") % _about(params), note)


@renders("assignment.return")
def returned_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("“%(title)s” returned for more work") % _about(params), note)


@renders("assignment.supervise")
def supervise_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("Supervision notice on “%(title)s”: reply in time") % _about(params), note)


@renders("assignment.reply_supervision")
def reply_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("Reply to the supervision notice on “%(title)s”") % _about(params), note)


@renders("assignment.warning")
def warning_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("“%(title)s” (%(owner)s) is due soon: %(deadline)s") % _about(params), note)


@renders("assignment.overdue")
def overdue_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("“%(title)s” (%(owner)s) is overdue since %(deadline)s") % _about(params), note)


@renders("assignment.edit")
def edited_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("The leader changed “%(title)s”: due %(deadline)s") % _about(params), note)


@renders("assignment.owner_removed")
def owner_removed_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("%(owner)s was taken off the leader's task “%(title)s”") % _about(params), note)


@renders("assignment.cancel")
def cancelled_notice(params: Params, note: str) -> Rendered:
    return Rendered(gettext("The leader's task “%(title)s” was cancelled") % _about(params), note)
