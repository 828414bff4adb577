"""Checking uploaded case photos and making the copies people see.

Pure functions, no database: :func:`inspect_image` decides whether an upload is a photo we keep and
reads what we store about it; :func:`build_thumbnail` and :func:`display_copy` make the JPEGs shown in
lists and on the case page. Both copies are re-encoded without EXIF, so a photo's location never
leaves the server through them.

Any record that keeps photos (a case's, a visit's) uses the same pieces: :func:`check_photos` for a
request's photos (count, pixel budget, content), :func:`copies` for the worker's thumbnail and display
copy, and :func:`variant_file` / :func:`open_variant` to serve a stored photo (files are encrypted at
rest by the default storage).

A photo is judged by its content: the first bytes must be a JPEG, PNG or WebP signature, Pillow must
read it as that same format, and the whole picture must decode. The file name and the declared
content type play no part.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import struct
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import IO, Any, Final, Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db.models.fields.files import FieldFile
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError
from PIL.ExifTags import GPS, IFD, Base

from gridgov.core.crypto import DecryptionError

logger = logging.getLogger("gridgov.cases.photos")

DEFAULT_MAX_PHOTO_BYTES = 15 * 1024 * 1024
MAX_PHOTO_PIXELS = 50_000_000
THUMBNAIL_QUALITY = 80
DISPLAY_QUALITY = 85

# Pillow format name -> (our format code, content type)
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("jpeg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}

# Orientations 5-8 turn the picture a quarter: the displayed width is the stored height.
_QUARTER_TURNS = {5, 6, 7, 8}
_CHUNK = 64 * 1024

Source = IO[bytes] | File


@dataclass(frozen=True)
class ImageInfo:
    format: str  # "jpeg" | "png" | "webp"
    content_type: str
    width: int  # as displayed, after the EXIF orientation
    height: int
    size: int  # bytes
    sha256: str
    taken_at: datetime | None  # EXIF DateTimeOriginal, aware
    lat: float | None  # EXIF GPS, decimal degrees, south negative
    lng: float | None  # west negative


# -- errors


def _type_error() -> ValidationError:
    return ValidationError(_("Only JPEG, PNG or WebP photos are accepted."), code="photo_type")


def _broken_error() -> ValidationError:
    return ValidationError(_("The photo file is damaged and cannot be read."), code="photo_broken")


def _pixels_error() -> ValidationError:
    return ValidationError(
        _("The photo has more than %(limit)s million pixels."),
        code="photo_too_big_pixels",
        params={"limit": MAX_PHOTO_PIXELS // 1_000_000},
    )


def _too_large_error(max_bytes: int) -> ValidationError:
    megabytes = max_bytes / (1024 * 1024)
    limit = f"{megabytes:.0f}" if megabytes >= 10 else f"{megabytes:.2f}".rstrip("0").rstrip(".")
    return ValidationError(_("The photo is larger than %(limit)s MB."), code="photo_too_large", params={"limit": limit})


# -- reading


def _stream(data: Source) -> IO[bytes]:
    if isinstance(data, File):
        return data.file  # type: ignore[return-value]  # an upload's file is binary
    return data


def _sniff(head: bytes) -> str | None:
    """The Pillow format name the file's signature claims, if it is one we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


@contextmanager
def _open(stream: IO[bytes], pillow_format: str | None = None) -> Iterator[Image.Image]:
    """Open the picture at the start of ``stream`` with only the plugins we accept; pixels are capped."""
    stream.seek(0)
    formats = [pillow_format] if pillow_format else list(FORMATS)
    try:
        image = Image.open(stream, formats=formats)
    except Image.DecompressionBombError:
        raise _pixels_error() from None
    except UnidentifiedImageError:
        raise (_broken_error() if pillow_format else _type_error()) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise _broken_error() from None
    # As a context manager the image lets go of its file without closing it (``close()`` would close
    # the caller's stream too).
    with image:
        if image.format not in FORMATS:
            raise _type_error()
        width, height = image.size
        if width <= 0 or height <= 0:
            raise _broken_error()
        if width * height > MAX_PHOTO_PIXELS:
            raise _pixels_error()
        yield image


def _check_decodes(stream: IO[bytes], pillow_format: str) -> None:
    """``verify()`` on one opening, then a full decode on a fresh one (verify alone misses a cut JPEG)."""
    try:
        with _open(stream, pillow_format) as image:
            image.verify()
        with _open(stream, pillow_format) as image:
            if image.format == "JPEG":
                # Decode at 1/8 scale: every byte is still read, with a fraction of the memory.
                image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        raise _pixels_error() from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error):
        raise _broken_error() from None


def _orientation(exif: Mapping[int, Any]) -> int:
    value = exif.get(Base.Orientation)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return str(value).strip("\x00 ") if value is not None else ""


def _taken_at(exif: Image.Exif) -> datetime | None:
    sub = exif.get_ifd(IFD.Exif)
    raw = _text(sub.get(Base.DateTimeOriginal) or exif.get(Base.DateTimeOriginal))
    try:
        naive = datetime.strptime(raw[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = _utc_offset(_text(sub.get(Base.OffsetTimeOriginal)))
    if offset is not None:
        # The camera said which clock it used; believe it rather than assume ours.
        return naive.replace(tzinfo=offset)
    return dj_timezone.make_aware(naive, dj_timezone.get_default_timezone())


def _utc_offset(raw: str) -> timezone | None:
    """'+08:00' -> UTC+8; anything else (missing, '   :  ') -> None."""
    if len(raw) != 6 or raw[0] not in "+-" or raw[3] != ":" or not (raw[1:3] + raw[4:6]).isdigit():
        return None
    minutes = int(raw[1:3]) * 60 + int(raw[4:6])
    if minutes > 14 * 60:
        return None
    return timezone(timedelta(minutes=-minutes if raw[0] == "-" else minutes))


def _degrees(value: Any) -> float | None:
    try:
        parts = [float(part) for part in value]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not 1 <= len(parts) <= 3 or not all(math.isfinite(part) and part >= 0 for part in parts):
        return None
    parts += [0.0] * (3 - len(parts))
    return parts[0] + parts[1] / 60 + parts[2] / 3600


def _location(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(IFD.GPSInfo)
    lat = _degrees(gps.get(GPS.GPSLatitude))
    lng = _degrees(gps.get(GPS.GPSLongitude))
    if lat is None or lng is None or lat > 90 or lng > 180:
        return None, None
    if lat == 0 and lng == 0:
        return None, None  # cameras without a fix write zeros
    if _text(gps.get(GPS.GPSLatitudeRef)).upper().startswith("S"):
        lat = -lat
    if _text(gps.get(GPS.GPSLongitudeRef)).upper().startswith("W"):
        lng = -lng
    return round(lat, 7), round(lng, 7)


def _exif(image: Image.Image) -> Image.Exif:
    try:
        return image.getexif()
    except Exception:  # a damaged EXIF block must not cost the photo itself
        return Image.Exif()


def _has_gps(exif: Image.Exif) -> bool:
    try:
        return bool(exif.get_ifd(IFD.GPSInfo)) or IFD.GPSInfo in exif
    except Exception:
        return True  # unreadable GPS block: safer to re-encode without it


# -- public functions


def pixel_count(data: Source) -> int:
    """Width × height from the picture's header, without decoding it (0 when it is not a picture
    we take: :func:`inspect_image` then says why)."""
    stream = _stream(data)
    try:
        stream.seek(0)
        pillow_format = _sniff(stream.read(16))
        if pillow_format is None:
            return 0
        with _open(stream, pillow_format) as image:
            width, height = image.size
            return int(width) * int(height)
    except ValidationError as error:
        if error.code == "photo_too_big_pixels":
            return MAX_PHOTO_PIXELS + 1
        return 0
    finally:
        stream.seek(0)


def request_pixel_budget() -> int:
    """The pixels all photos of one request may have together (``GRIDGOV_PHOTO_MEGAPIXELS_PER_REQUEST``)."""
    return int(getattr(settings, "GRIDGOV_PHOTO_MEGAPIXELS_PER_REQUEST", 150)) * 1_000_000


def inspect_image(data: Source, *, max_bytes: int | None = None) -> ImageInfo:
    """Check that ``data`` is a JPEG, PNG or WebP photo and read what we keep about it.

    Raises :class:`ValidationError` with code ``photo_type``, ``photo_too_large``, ``photo_broken`` or
    ``photo_too_big_pixels``. The stream is left at its start, ready to be saved.
    """
    if max_bytes is None:
        max_bytes = getattr(settings, "GRIDGOV_MAX_PHOTO_BYTES", DEFAULT_MAX_PHOTO_BYTES)
    stream = _stream(data)
    try:
        stream.seek(0, io.SEEK_END)
        if stream.tell() > max_bytes:
            raise _too_large_error(max_bytes)
        stream.seek(0)
        digest = hashlib.sha256()
        size = 0
        head = b""
        while chunk := stream.read(_CHUNK):
            if not head:
                head = chunk[:16]
            size += len(chunk)
            if size > max_bytes:
                raise _too_large_error(max_bytes)
            digest.update(chunk)

        pillow_format = _sniff(head)
        if pillow_format is None:
            raise _type_error()
        _check_decodes(stream, pillow_format)

        with _open(stream, pillow_format) as image:
            width, height = image.size
            exif = _exif(image)
        try:
            taken_at = _taken_at(exif)
            lat, lng = _location(exif)
        except Exception:  # odd EXIF values: the photo is fine, its metadata is not
            taken_at, (lat, lng) = None, (None, None)
        if _orientation(exif) in _QUARTER_TURNS:
            width, height = height, width
        code, content_type = FORMATS[pillow_format]
        return ImageInfo(
            format=code,
            content_type=content_type,
            width=width,
            height=height,
            size=size,
            sha256=digest.hexdigest(),
            taken_at=taken_at,
            lat=lat,
            lng=lng,
        )
    finally:
        stream.seek(0)


def build_thumbnail(data: Source, *, max_side: int = 480) -> bytes:
    """A JPEG at most ``max_side`` pixels on its long side, turned upright, without EXIF."""
    stream = _stream(data)
    try:
        with _open(stream) as image:
            return _render(image, max_side=max_side, quality=THUMBNAIL_QUALITY)
    finally:
        stream.seek(0)


def display_copy(data: Source, *, max_side: int = 2048) -> bytes | None:
    """An upright JPEG without EXIF for showing, or None when the original can be shown as it is.

    A copy is made when the photo is larger than ``max_side``, needs turning (EXIF orientation other
    than 1), or carries a GPS position.
    """
    stream = _stream(data)
    try:
        with _open(stream) as image:
            exif = _exif(image)
            if max(image.size) <= max_side and _orientation(exif) == 1 and not _has_gps(exif):
                return None
            return _render(image, max_side=max_side, quality=DISPLAY_QUALITY)
    finally:
        stream.seek(0)


def check_photos(files: Sequence[Source], *, max_count: int) -> list[ImageInfo]:
    """What each photo of one request is, in order; refused (``ValidationError`` on ``photos``)
    when there are more than ``max_count``, when all of them together have more pixels than the
    request's budget (read from their headers before any is decoded: a request of many large
    pictures costs no decoding), or when one is not an image we take."""
    if len(files) > max_count:
        raise ValidationError({"photos": [_("At most %(n)s photos at a time.") % {"n": max_count}]})
    budget = request_pixel_budget()
    if sum(pixel_count(item) for item in files) > budget:
        message = _("These photos have more than %(n)s million pixels together; send fewer or smaller ones.") % {
            "n": budget // 1_000_000
        }
        raise ValidationError({"photos": [message]})
    infos = []
    for item in files:
        try:
            infos.append(inspect_image(item))
        except ValidationError as error:
            raise ValidationError({"photos": error.messages}) from error
    return infos


def copies(source: Source) -> tuple[bytes, bytes | None]:
    """The thumbnail and, where needed, the display copy (:func:`display_copy`) of a stored photo."""
    thumbnail = build_thumbnail(source)
    _stream(source).seek(0)
    return thumbnail, display_copy(source)


class StoredPhoto(Protocol):
    file: FieldFile
    display: FieldFile
    thumbnail: FieldFile
    content_type: str
    sha256: str

    def save(self, *, update_fields: list[str]) -> None: ...


def save_copies(item: StoredPhoto) -> bool:
    """Make and save a stored photo's thumbnail and, where needed, display copy (the worker's
    job). A photo that cannot be read is logged and left as it is (pages fall back to the
    original); returns whether the copies were made."""
    try:
        with item.file.open("rb") as source:
            thumbnail, display = copies(source)
    except (OSError, ValueError, ValidationError, DecryptionError):
        logger.exception("Thumbnail of photo %s failed", item.file.name)
        return False
    item.thumbnail.save(f"{item.sha256[:16]}-t.jpg", ContentFile(thumbnail), save=False)
    fields = ["thumbnail"]
    if display is not None:
        item.display.save(f"{item.sha256[:16]}-d.jpg", ContentFile(display), save=False)
        fields.append("display")
    item.save(update_fields=fields)
    return True


VARIANTS: Final = ("original", "display", "thumbnail")


def variant_file(item: StoredPhoto, variant: str) -> tuple[FieldFile, str] | None:
    """The stored file of a photo's ``variant`` and its content type (None: no such variant).
    ``display`` and ``thumbnail`` fall back to the display copy, then the original, while the
    worker has not made them yet."""
    if variant not in VARIANTS:
        return None
    if variant == "thumbnail" and item.thumbnail:
        return item.thumbnail, "image/jpeg"
    if variant in ("display", "thumbnail") and item.display:
        return item.display, "image/jpeg"
    return item.file, item.content_type


def open_variant(item: StoredPhoto, variant: str) -> tuple[FieldFile, str] | None:
    """:func:`variant_file` opened for reading; None when there is no such variant, the file is
    missing on disk, or it does not decrypt (altered, or its key removed: logged)."""
    chosen = variant_file(item, variant)
    if chosen is None:
        return None
    try:
        return chosen[0].open("rb"), chosen[1]
    except (FileNotFoundError, ValueError):
        return None
    except DecryptionError:
        logger.error("photo %s: the stored file does not decrypt (altered or key missing)", chosen[0].name)
        return None


def _render(image: Image.Image, *, max_side: int, quality: int) -> bytes:
    if max_side < 1:
        raise ValueError("max_side must be positive")
    # The colour profile says nothing about the place and keeps phone colours right (Display P3); it
    # only still fits the pixels when they were RGB to begin with.
    icc_profile = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA") else None
    try:
        if image.format == "JPEG":
            image.draft("RGB", (max_side, max_side))  # decode at a reduced scale when the photo is big
        upright = ImageOps.exif_transpose(image)
        rgb = _flatten(upright)
        rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        # No exif= argument: Pillow writes no EXIF it is not given, so orientation and GPS are gone.
        options: dict[str, Any] = {"icc_profile": icc_profile} if icc_profile else {}
        rgb.save(out, "JPEG", quality=quality, optimize=True, progressive=True, **options)
    except Image.DecompressionBombError:
        raise _pixels_error() from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error):
        raise _broken_error() from None
    return out.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    """RGB, with any transparency laid on white."""
    if image.mode == "RGB":
        return image
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # 16-bit and float greyscale: scale into 8 bits before RGB.
        extrema = image.getextrema()
        high = float(extrema[1]) if isinstance(extrema[1], int | float) else 255.0
        scale = 255.0 / high if high > 255 else 1.0
        return image.point(lambda value: value * scale).convert("L").convert("RGB")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
