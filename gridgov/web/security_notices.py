"""Notices of security events to the security administrators (the people app signals them;
it sits below the notification outbox and cannot call it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.notify.services import notify
from gridgov.people.models import Role
from gridgov.people.selectors import role_holder_ids

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from gridgov.people.models import RoleAssignment

SELF_GRANT_KIND = "security.self_grant"


def security_administrators(*, exclude: Any = None) -> list[Any]:
    """Active security administrators; without any, the active superusers."""
    users = get_user_model().objects.filter(is_active=True)
    found = list(users.filter(role_assignments__role=Role.SECURITY_ADMIN).distinct())
    if not found:
        found = list(users.filter(is_superuser=True))
    return [user for user in found if exclude is None or user.pk != exclude.pk]


def on_self_granted(sender: Any, actor: User, assignment: RoleAssignment | None = None, **kwargs: Any) -> None:
    """A superuser changed its own rights: the security administrators are told."""
    if assignment is not None:
        what = _("the role “%(role)s”") % {"role": Role(assignment.role).label}
        url = reverse("admin:people_roleassignment_change", args=[assignment.pk])
    else:
        what = _("groups or permissions")
        url = reverse("admin:auth_user_change", args=[actor.pk])
    notify(
        recipients=security_administrators(exclude=actor),
        kind=SELF_GRANT_KIND,
        title=_("%(user)s gave itself %(what)s") % {"user": actor.get_username(), "what": what},
        body=_("A superuser changed its own rights. Check that this was agreed; the audit log has the details."),
        url=url,
        obj=assignment if assignment is not None else actor,
        actor=actor,
    )


REVEAL_THROTTLED_KIND = "security.reveal_throttled"


def discipline_office() -> list[Any]:
    """Active holders of the supervisor role (the town's discipline office)."""
    return list(get_user_model().objects.filter(pk__in=role_holder_ids(Q(role=Role.SUPERVISOR))))


def on_reveal_throttled(sender: Any, actor: User, count: int, limit: int, **kwargs: Any) -> None:
    """A user passed the hourly limit of reveals: the discipline office is told, once an hour."""
    notify(
        recipients=discipline_office(),
        kind=REVEAL_THROTTLED_KIND,
        title=_("%(user)s looked up the details of %(count)s people within an hour")
        % {
            "user": actor.get_username(),
            "count": count,
        },
        body=_("The limit is %(limit)s an hour; further reveals are refused for now. The audit log lists each one.")
        % {"limit": limit},
        url=reverse("admin:core_auditevent_changelist") + f"?actor__id__exact={actor.pk}",
        actor=actor,
    )
