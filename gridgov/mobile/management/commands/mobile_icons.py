"""Draw the phone app's icons (``gridgov/mobile/static/mobile/icons``) with Pillow.

The PNGs are committed; run this again only to change the design:
``python manage.py mobile_icons``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parents[2] / "static" / "mobile" / "icons"
BRAND = (11, 79, 156)
ACCENT = (200, 32, 47)
WHITE = (255, 255, 255)


def draw_icon(size: int, *, maskable: bool) -> Image.Image:
    """A white 3 × 3 grid with a red location dot on the brand blue. A maskable icon fills the
    whole square and keeps its drawing inside the central safe circle (80 %)."""
    scale = 4  # draw large, then shrink, for smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=BRAND)
        inner = big * 0.5
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 5, fill=BRAND)
        inner = big * 0.62
    left = (big - inner) / 2
    line = max(2, round(big * 0.035))
    for step in range(4):
        offset = left + inner * step / 3
        draw.line((left, offset, left + inner, offset), fill=WHITE, width=line)
        draw.line((offset, left, offset, left + inner), fill=WHITE, width=line)
    centre = big / 2
    radius = inner / 7
    draw.ellipse(
        (centre - radius, centre - radius, centre + radius, centre + radius), fill=ACCENT, outline=WHITE, width=line
    )
    return image.resize((size, size), Image.Resampling.LANCZOS)


class Command(BaseCommand):
    help = "Draw the phone app's icons (192 and 512 px, plain and maskable)."

    def handle(self, *args: Any, **options: Any) -> None:
        ICONS.mkdir(parents=True, exist_ok=True)
        for size in (192, 512):
            for maskable in (False, True):
                name = f"{'maskable' if maskable else 'icon'}-{size}.png"
                draw_icon(size, maskable=maskable).save(ICONS / name, optimize=True)
                self.stdout.write(name)
