"""The A4 poster of a grid's board: the published staff, the supervision phone and a QR code
(segno) that opens the grid's public page. WeasyPrint with the CJK font embedded, as the
bulletins."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Final

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from PIL import ImageFile

from gridgov.areas.models import Area

from . import selectors

STYLESHEET: Final = Path(__file__).parent / "pdf" / "poster.css"


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG (error correction M, sharp when printed)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=6, border=2, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


def _photo_data(user_id: int) -> str:
    profile = selectors.published_photo_owner(user_id)
    if profile is None:
        return ""
    with profile.photo.open("rb") as handle:
        content = handle.read()
    kind = "png" if content[:8] == b"\x89PNG\r\n\x1a\n" else "jpeg"
    return f"data:image/{kind};base64,{base64.b64encode(content).decode()}"


def poster_html(grid: Area, public_url: str) -> str:
    cards = selectors.grid_cards(grid)
    return render_to_string(
        "notice/poster.html",
        {
            "grid": grid,
            "village": grid.parent,
            "cards": [(card, _photo_data(card.user_id) if card.photo else "") for card in cards],
            "supervision_phone": selectors.supervision_phone(grid),
            "qr": qr_svg(public_url),
            "public_url": public_url,
            "today": timezone.localdate(),
        },
    )


def poster_pdf(grid: Area, public_url: str) -> bytes:
    """The poster as a PDF, in the installation's language whatever the request's."""
    with translation.override(settings.LANGUAGE_CODE):
        return _pdf(grid, public_url)


def _pdf(grid: Area, public_url: str) -> bytes:
    # WeasyPrint turns on Pillow's loading of truncated images when first imported; the photo
    # checks of the case loop rely on it being off (see gridgov.bulletins.documents).
    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import CSS, HTML

    ImageFile.LOAD_TRUNCATED_IMAGES = truncated
    document = HTML(string=poster_html(grid, public_url), base_url=str(STYLESHEET.parent))
    result: bytes = document.write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))])
    return result
