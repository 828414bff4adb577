"""Photos of cases: checked before a write, stored with the timeline entry they came with,
thumbnails made by the worker, and photos added to a case on their own."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.actors import signed_in

from .. import photos
from ..access import parties_of
from ..models import AttachmentKind, Case, CaseAttachment, CaseEvent
from ..transitions import ATTACH, Action, Party
from . import idempotency
from .common import COMMENT_MAX, MAX_PHOTOS, CaseConflict, CaseForbidden, Photo, case_lock, clean_text, event_add

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

logger = logging.getLogger("gridgov.cases.services")

CheckedPhotos = list[tuple[Photo, photos.ImageInfo]]

# The kind of the photos sent with an action, and the category flag that makes one required.
ACTION_PHOTO_KIND: Final[dict[str, str]] = {
    Action.REPORT_BACK: AttachmentKind.RESULT,
    Action.VERIFY_PASS: AttachmentKind.VERIFY,
    Action.VERIFY_FAIL: AttachmentKind.VERIFY,
}
PHOTO_NEEDED: Final[dict[str, Any]] = {
    AttachmentKind.RESULT: _("This category needs a photo of the result: add one."),
    AttachmentKind.VERIFY: _("This category needs a photo taken on site: add one."),
}


def photo_required(case: Case, action: str) -> bool:
    """Whether the case's category makes ``action`` need a photo (of the action's kind)."""
    if action == Action.REPORT_BACK:
        return case.category.result_photo_required
    if action in (Action.VERIFY_PASS, Action.VERIFY_FAIL):
        return case.category.verify_photo_required
    return False


def action_photos_check(case: Case, action: str, actor: User | AnonymousUser, checked: CheckedPhotos) -> None:
    """The photos sent with an action: a kind that speaks for another party is refused (403: a
    result photo comes from the handler, a verification photo from the grid worker), and an
    action its category wants a photo with needs one of its kind that is new to the case (422
    on ``photos``: a photo already stored, e.g. the last round's sent again, is not a new one)."""
    if any(PHOTO_KIND_PARTIES.get(photo.kind) for photo, _info in checked):
        parties = working_parties(actor, case)
        for photo, _info in checked:
            needed = PHOTO_KIND_PARTIES.get(photo.kind)
            if needed and not parties & needed:
                raise CaseForbidden(_("You may not add photos of this kind to this case."))
    if not photo_required(case, action):
        return
    kind = ACTION_PHOTO_KIND[action]
    offered = {info.sha256 for photo, info in checked if photo.kind == kind}
    if not offered:
        raise ValidationError({"photos": [PHOTO_NEEDED[kind]]})
    known = set(
        CaseAttachment.objects.filter(case=case, kind=kind, sha256__in=offered).values_list("sha256", flat=True)
    )
    if not offered - known:
        raise ValidationError({"photos": [_("This photo is already on the case: take a new one.")]})


# Photo kinds only some parties may add (others: anyone working on the case).
PHOTO_KIND_PARTIES: Final[dict[str, frozenset[Party]]] = {
    AttachmentKind.RESULT: frozenset({Party.HANDLER}),
    AttachmentKind.VERIFY: frozenset({Party.GRID_WORKER}),
}


def photos_check(items: Sequence[Photo]) -> CheckedPhotos:
    """Each photo with what its content is (refused, 422 on ``photos``, when it is not an
    image we take, or there are too many)."""
    for item in items:
        if item.kind not in AttachmentKind.values:
            raise ValidationError({"photos": [_("Unknown photo kind.")]})
    infos = photos.check_photos([item.file for item in items], max_count=MAX_PHOTOS)
    return list(zip(items, infos, strict=True))


def photos_store(
    case: Case, checked: CheckedPhotos, *, actor: User | AnonymousUser | None, event: CaseEvent | None
) -> list[CaseAttachment]:
    """Store checked photos with their timeline entry; thumbnails are made after commit."""
    stored = []
    for item, info in checked:
        if CaseAttachment.objects.filter(case=case, sha256=info.sha256, kind=item.kind).exists():
            continue  # the same photo sent twice (a phone's retry) is kept once
        item.file.seek(0)
        extension = {"jpeg": "jpg"}.get(info.format, info.format)
        attachment = CaseAttachment(
            case=case,
            event=event,
            kind=item.kind,
            content_type=info.content_type,
            width=info.width,
            height=info.height,
            size=info.size,
            sha256=info.sha256,
            taken_at=info.taken_at,
            exif_lat=info.lat,
            exif_lng=info.lng,
            uploaded_by=signed_in(actor),
        )
        attachment.file.save(f"{info.sha256[:16]}.{extension}", ContentFile(item.file.read()), save=False)
        attachment.save()
        stored.append(attachment)
    if stored:
        from ..tasks import make_thumbnails  # tasks.py imports this package (services <-> tasks cycle)

        ids = [a.pk for a in stored]
        transaction.on_commit(lambda: make_thumbnails.delay(ids))
    return stored


def thumbnails_make(attachment_ids: Sequence[int]) -> int:
    """Make the thumbnail (and, where needed, an upright display copy without EXIF) of each
    photo that has none yet; run by the worker. A photo that cannot be read is logged and
    left as it is (the pages fall back to the original)."""
    done = 0
    for attachment in CaseAttachment.objects.filter(pk__in=list(attachment_ids), thumbnail=""):
        with transaction.atomic():
            done += photos.save_copies(attachment)
    return done


def attachments_add(
    case_id: int,
    *,
    actor: User | AnonymousUser,
    photos_in: Sequence[Photo],
    comment: str = "",
    idempotency_key: str | None = None,
) -> list[CaseAttachment]:
    """Add photos to a case the actor is related to (reporter, grid worker, handler, center)."""
    stored, _replay = attachments_add_once(
        case_id, actor=actor, photos_in=photos_in, comment=comment, idempotency_key=idempotency_key
    )
    return stored


def content_hash(item: Photo) -> str:
    digest = hashlib.sha256()
    item.file.seek(0)
    for chunk in iter(lambda: item.file.read(1 << 16), b""):
        digest.update(chunk)
    item.file.seek(0)
    return digest.hexdigest()


@transaction.atomic
def attachments_add_once(
    case_id: int,
    *,
    actor: User | AnonymousUser,
    photos_in: Sequence[Photo],
    comment: str = "",
    idempotency_key: str | None = None,
) -> tuple[list[CaseAttachment], bool]:
    """:func:`attachments_add`, and whether it was a retry: with an ``idempotency_key`` the
    actor already used for the same photos (same content, kinds and comment) on this case,
    nothing is stored again and the photos of the first request come back with ``True``."""
    key = idempotency.key_clean(idempotency_key)
    case = case_lock(case_id, actor)
    if not photos_in:
        raise ValidationError({"photos": [_("Choose at least one photo.")]})
    # Refused when too long, as every action's comment is (it was cut to the limit unsaid).
    comment = clean_text(comment, "comment", required=False, maximum=COMMENT_MAX)
    user = signed_in(actor)
    digest = ""
    if key is not None and user is not None:
        digest = idempotency.fingerprint(comment, *[f"{item.kind}:{content_hash(item)}" for item in photos_in])
        done = idempotency.replayed(user, key, case_id=case.pk, action=ATTACH, digest=digest)
        if done is not None:
            first = [] if done.event_id is None else list(CaseAttachment.objects.filter(event_id=done.event_id))
            return first, True
    _check_may_add(case, actor, photos_in)
    checked = photos_check(photos_in)
    event = event_add(case, ATTACH, actor=actor, at=timezone.now(), from_status=case.status, comment=comment)
    if key is not None and user is not None:
        idempotency.remember(user, key, case=case, action=ATTACH, digest=digest, event=event)
    stored = photos_store(case, checked, actor=actor, event=event)
    event.data = {"photos": len(stored)}
    event.save(update_fields=["data"])
    return stored, False


def working_parties(actor: User | AnonymousUser, case: Case) -> set[Party]:
    """The actor's relations to the case that work on it: leaders and the discipline office
    supervise (remind, supervise) and otherwise only read."""
    return parties_of(actor, case) - {Party.LEADER}


def may_add_photos(actor: User | AnonymousUser, case: Case) -> bool:
    """Whether the actor may add photos to the case now (the page shows the form only then)."""
    is_reporter = case.reporter_id is not None and case.reporter_id == actor.pk
    if not (working_parties(actor, case) or is_reporter):
        return False
    return case.is_open or (case.self_handled and is_reporter)


def _check_may_add(case: Case, actor: User | AnonymousUser, photos_in: Sequence[Photo]) -> None:
    """Refuse photos from someone not working on the case (a leader or the supervisor only
    reads), of a kind that speaks for another party, or on a finished case (but the
    self-handler's own)."""
    parties = working_parties(actor, case)
    if not parties and case.reporter_id != actor.pk:
        raise CaseForbidden(_("Only people working on this case may add photos."))
    for item in photos_in:
        needed = PHOTO_KIND_PARTIES.get(item.kind)
        if needed and not parties & needed:
            # A result photo speaks for the handler, a verification photo for the grid worker.
            raise CaseForbidden(_("You may not add photos of this kind to this case."))
    if not case.is_open and not (case.self_handled and case.reporter_id == actor.pk):
        raise CaseConflict(_("Photos cannot be added to a finished case."), code="case_finished")
