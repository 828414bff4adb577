"""Drawn placeholder pictures for the demo: case photos and staff avatars.

A demo photo is not a photo: it is a small drawn scene in the colours of the case's major
category (a road for traffic order, grass for greenery, water for the environment, …) with a
label saying what it stands for (the minor category, the kind of photo and the moment it was
"taken") and that it is a demo picture. Avatars are a coloured disc with the last characters
of the person's name, as many Chinese office systems show when there is no photo.

Chinese text needs a CJK font: the system's Noto Sans CJK or WenQuanYi is found by file name
(Pillow looks through the system's font folders). Without one the labels fall back to the
category code and Latin text, so the demo still loads.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
from functools import cache, lru_cache
from typing import Final

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

WIDTH: Final = 400
HEIGHT: Final = 300
QUALITY: Final = 72
AVATAR_SIZE: Final = 160

# Font files tried in turn (names, not paths: Pillow searches the system's font folders).
CJK_FONTS: Final = (
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKsc-Regular.otf",
    "NotoSansSC-Regular.otf",
    "wqy-microhei.ttc",
    "wqy-zenhei.ttc",
    "DroidSansFallbackFull.ttf",
)

# (sky, ground, accent) of each major category's scene.
PALETTES: Final[dict[str, tuple[tuple[int, int, int], ...]]] = {
    "parking": ((186, 206, 224), (104, 108, 114), (236, 236, 236)),  # asphalt, lane marks
    "safety": ((200, 196, 190), (150, 120, 96), (222, 118, 52)),  # brick, warning orange
    "facilities": ((190, 210, 228), (132, 136, 140), (70, 98, 140)),  # pavement, iron blue
    "greenery": ((196, 220, 232), (92, 148, 82), (56, 110, 60)),  # grass, trees
    "appearance": ((214, 214, 206), (176, 160, 132), (120, 110, 96)),  # street, walls
    "civility": ((200, 222, 236), (160, 170, 150), (210, 160, 90)),  # square
    "visits": ((226, 216, 198), (184, 150, 112), (150, 96, 70)),  # indoors, warm
    "environment": ((198, 208, 200), (96, 122, 108), (72, 104, 118)),  # water, fields
}
DEFAULT_PALETTE: Final = ((200, 210, 220), (130, 140, 130), (90, 100, 110))
KIND_LABELS: Final = {
    "report": "上报照片",
    "before": "处置前",
    "after": "处置后",
    "result": "处置结果",
    "verify": "核查照片",
    "other": "照片",
}
AVATAR_COLOURS: Final = ((52, 101, 164), (78, 154, 6), (196, 160, 0), (117, 80, 123), (204, 0, 0), (0, 128, 128))


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | None:
    """A CJK font of ``size`` pixels (the Simplified Chinese face of a collection), or None."""
    for name in CJK_FONTS:
        try:
            first = ImageFont.truetype(name, size)
        except OSError:
            continue
        if name.endswith(".ttc"):
            for index in range(1, 6):
                try:
                    face = ImageFont.truetype(name, size, index=index)
                except OSError:
                    break
                if " SC" in (face.getname()[0] or ""):
                    return face
        return first
    return None


def has_cjk_font() -> bool:
    return _font(16) is not None


def _text_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return _font(size) or ImageFont.load_default(size)


def case_photo(
    *, rng: random.Random, major: str, category_name: str, category_code: str, kind: str, at: dt.datetime
) -> io.BytesIO:
    """A JPEG standing in for a phone photo of a case (see the module's docstring)."""
    sky, ground, accent = PALETTES.get(major, DEFAULT_PALETTE)
    image = Image.new("RGB", (WIDTH, HEIGHT), _vary(rng, sky))
    draw = ImageDraw.Draw(image)
    horizon = rng.randint(HEIGHT * 2 // 5, HEIGHT // 2)
    draw.rectangle((0, horizon, WIDTH, HEIGHT), fill=_vary(rng, ground))
    # A few buildings on the horizon and something in the foreground in the accent colour.
    x = rng.randint(-20, 20)
    while x < WIDTH:
        width, height = rng.randint(40, 90), rng.randint(30, 90)
        draw.rectangle((x, horizon - height, x + width, horizon), fill=_vary(rng, (170, 165, 158), 18))
        x += width + rng.randint(8, 40)
    cx, cy = rng.randint(60, WIDTH - 60), rng.randint(horizon + 20, HEIGHT - 90)
    radius = rng.randint(18, 36)
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=_vary(rng, accent))
    if major == "parking":
        for lane in range(0, WIDTH, 60):
            draw.rectangle((lane, HEIGHT - 88, lane + 32, HEIGHT - 82), fill=accent)
    # The label.
    draw.rectangle((0, HEIGHT - 66, WIDTH, HEIGHT), fill=(24, 32, 40))
    moment = timezone.localtime(at).strftime("%Y-%m-%d %H:%M")
    if has_cjk_font():
        title = f"{category_name} · {KIND_LABELS.get(kind, kind)}"
        note = f"{moment}  演示照片（示意图）"
    else:
        title = f"{category_code} · {kind}"
        note = f"{moment}  demo picture"
    title_image = _label(title, 20, (255, 255, 255))
    image.paste(title_image, (12, HEIGHT - 60), title_image)
    draw.text((12, HEIGHT - 30), note, font=_text_font(15), fill=(200, 208, 216))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=QUALITY)
    buffer.seek(0)
    return buffer


@lru_cache(maxsize=512)
def plain_photo() -> io.BytesIO:
    """A small JPEG of noise, new each time: the photo a category requires, for generated cases
    without drawn pictures (the benchmarks' and the tests' volumes). Each is different, as a
    new photo of a new round must be."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (16, 12), os.urandom(16 * 12 * 3)).save(buffer, "JPEG")
    buffer.seek(0)
    return buffer


def _label(text: str, size: int, fill: tuple[int, int, int]) -> Image.Image:
    """``text`` drawn once on a transparent strip (the same titles recur on many photos)."""
    font = _text_font(size)
    _left, _top, right, bottom = font.getbbox(text)
    strip = Image.new("RGBA", (int(right) + 2, int(bottom) + 4), (0, 0, 0, 0))
    ImageDraw.Draw(strip).text((0, 0), text, font=font, fill=(*fill, 255))
    return strip


def avatar(*, full_name: str, username: str) -> ContentFile[bytes]:
    """A PNG avatar: a disc in a colour of the name with its last one or two characters."""
    colour = AVATAR_COLOURS[sum(map(ord, username)) % len(AVATAR_COLOURS)]
    image = Image.new("RGB", (AVATAR_SIZE, AVATAR_SIZE), (240, 242, 245))
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 4, AVATAR_SIZE - 4, AVATAR_SIZE - 4), fill=colour)
    name = full_name.strip() or username
    # The given name (the last two characters of a three-character name), or Latin initials.
    label = (name[-2:] if len(name) >= 3 else name) if has_cjk_font() else username[:2].upper()
    font = _text_font(56 if len(label) <= 2 else 40)
    draw.text((AVATAR_SIZE / 2, AVATAR_SIZE / 2), label, font=font, fill=(255, 255, 255), anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name=f"{username}.png")


def _vary(rng: random.Random, colour: tuple[int, int, int], spread: int = 12) -> tuple[int, int, int]:
    red, green, blue = (max(0, min(255, value + rng.randint(-spread, spread))) for value in colour)
    return red, green, blue
