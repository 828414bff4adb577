"""What the parts of the assessment's services share: the roles and limits, numbers read from
a form, the files attached to scores, entries and appeals, and the workflows' actor.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from django.utils.translation import gettext as _

from gridgov.core import filetypes
from gridgov.core.actors import Actor, signed_in_user
from gridgov.core.errors import Invalid
from gridgov.people.models import Role

from .. import scoring
from ..models import AppealStatus, Attachment, PeriodStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# Who runs the assessment (schemes, periods, scores, decisions): the center.
MANAGER_ROLES: Final = frozenset({Role.CENTER_OPERATOR, Role.ADMIN})
# Who reads every result of the town at any time: the center, the town's leaders, the discipline office.
READER_ROLES: Final = frozenset({*MANAGER_ROLES, Role.TOWN_LEADER, Role.SUPERVISOR})
VILLAGE_ROLES: Final = frozenset({Role.GRID_LEADER, Role.VILLAGE_STAFF})
SEEN_BY_ASSESSED: Final = (PeriodStatus.PUBLISHED, PeriodStatus.FINAL)
OPEN_APPEALS: Final = (AppealStatus.SUBMITTED, AppealStatus.PROPOSED)
TEXT_LIMIT: Final = 4000
PROGRESS_TTL: Final = 3600
CLAIM_TTL: Final = 15 * 60
MAX_FILES: Final = 5
FILE_LIMIT: Final = 10 * 1024 * 1024
FILE_TYPES: Final = (".pdf", ".jpg", ".jpeg", ".png", ".docx", ".xlsx")


def _decimal(value: Any, field: str, low: Decimal = Decimal(0), high: Decimal = Decimal(1000)) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Invalid.field(field, _("Write a number.")) from None
    if not number.is_finite() or not low <= number <= high:
        raise Invalid.field(field, _("Write a number from %(low)s to %(high)s.") % {"low": low, "high": high})
    return scoring.money(number)


def _check_files(files: list[Any]) -> None:
    if len(files) > MAX_FILES:
        raise Invalid.field("files", _("At most %(n)s files.") % {"n": MAX_FILES})
    for handle in files:
        name = filetypes.display_name(str(getattr(handle, "name", "")))
        if not name.lower().endswith(FILE_TYPES):
            raise Invalid.field("files", _("Attach PDF, pictures, Word or Excel files."))
        if int(getattr(handle, "size", 0) or 0) > FILE_LIMIT:
            raise Invalid.field("files", _("Each file must be at most 10 MB."))
        handle.seek(0)
        head = handle.read(filetypes.HEAD_BYTES)
        handle.seek(0)
        if not filetypes.fits(name, head):
            raise Invalid.field("files", _("“%(name)s” is not the kind of file its name says.") % {"name": name})


def _store_files(files: list[Any], actor: User | AnonymousUser, **owner: Any) -> None:
    user = signed_in_user(actor)
    for handle in files:
        Attachment.objects.create(
            file=handle,
            name=filetypes.display_name(str(handle.name)),
            size=int(handle.size or 0),
            uploaded_by=user,
            **owner,
        )


FlowActor: TypeAlias = Actor
