"""Checking case photos by their content, and the thumbnails and display copies made from them."""

from __future__ import annotations

import hashlib
import io
import random
import struct
import zlib
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.utils import translation
from PIL import Image, ImageCms
from PIL.ExifTags import GPS, IFD, Base
from PIL.TiffImagePlugin import IFDRational

from gridgov.cases.photos import ImageInfo, build_thumbnail, display_copy, inspect_image


@pytest.fixture(autouse=True)
def _english_messages():
    """The messages are compared with their English msgids (the site itself is Chinese)."""
    with translation.override("en"):
        yield


RED = (255, 0, 0)
BLUE = (0, 0, 255)


# -- building pictures in memory


def two_halves(size: tuple[int, int] = (300, 200)) -> Image.Image:
    """Left half red, right half blue: shows which way a picture was turned."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0] // 2, size[1]))
    return image


def noisy(size: tuple[int, int]) -> Image.Image:
    rng = random.Random(7)
    return Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))


def rationals(*values: tuple[int, int]) -> tuple[IFDRational, ...]:
    return tuple(IFDRational(numerator, denominator) for numerator, denominator in values)


def camera_exif(
    *,
    orientation: int | None = 6,
    lat_ref: str = "N",
    lng_ref: str = "E",
    taken: str | None = "2024:05:01 09:30:00",
    offset: str | None = None,
    gps: bool = True,
) -> Image.Exif:
    exif = Image.Exif()
    exif[Base.Make] = "GridPhone"
    if orientation is not None:
        exif[Base.Orientation] = orientation
    if taken is not None:
        sub: dict[int, object] = {Base.DateTimeOriginal: taken}
        if offset is not None:
            sub[Base.OffsetTimeOriginal] = offset
        exif[IFD.Exif] = sub
    if gps:
        exif[IFD.GPSInfo] = {
            GPS.GPSLatitudeRef: lat_ref,
            # 31° 14' 24.36" = 31.24010
            GPS.GPSLatitude: rationals((31, 1), (14, 1), (2436, 100)),
            GPS.GPSLongitudeRef: lng_ref,
            # 121° 28' 12" = 121.47
            GPS.GPSLongitude: rationals((121, 1), (28, 1), (12, 1)),
        }
    return exif


def jpeg(image: Image.Image | None = None, exif: Image.Exif | None = None, **options: object) -> bytes:
    out = io.BytesIO()
    image = image if image is not None else two_halves()
    if exif is not None:
        options["exif"] = exif
    image.save(out, "JPEG", quality=90, **options)
    return out.getvalue()


def encode(image: Image.Image, format: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format, **options)
    return out.getvalue()


def png_with_alpha() -> bytes:
    image = Image.new("RGBA", (120, 80), (255, 0, 0, 255))
    image.paste((0, 0, 0, 0), (60, 0, 120, 80))  # right half fully transparent
    return encode(image, "PNG")


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height``: a decompression bomb's shape."""
    data = bytearray(encode(Image.new("L", (1, 1)), "PNG"))
    # Signature (8), IHDR length (4), "IHDR" (4), then width and height, then the rest and a CRC.
    data[16:24] = struct.pack(">II", width, height)
    ihdr = bytes(data[12:29])
    data[29:33] = struct.pack(">I", zlib.crc32(ihdr))
    return bytes(data)


def code_of(error: pytest.ExceptionInfo[ValidationError]) -> str | None:
    return error.value.code


# -- inspect_image: what it accepts and reads


def test_a_camera_jpeg_is_read_upright_with_time_and_place():
    data = jpeg(exif=camera_exif())

    info = inspect_image(io.BytesIO(data))

    assert isinstance(info, ImageInfo)
    assert (info.format, info.content_type) == ("jpeg", "image/jpeg")
    assert (info.width, info.height) == (200, 300)  # stored 300x200, orientation 6 turns it a quarter
    assert info.size == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.taken_at == datetime(2024, 5, 1, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert info.taken_at.utcoffset() == timedelta(hours=8)
    assert info.lat == pytest.approx(31.2401, abs=1e-6)
    assert info.lng == pytest.approx(121.47, abs=1e-6)


def test_south_and_west_references_make_the_degrees_negative():
    info = inspect_image(io.BytesIO(jpeg(exif=camera_exif(lat_ref="S", lng_ref="W"))))

    assert info.lat == pytest.approx(-31.2401, abs=1e-6)
    assert info.lng == pytest.approx(-121.47, abs=1e-6)


def test_the_capture_time_follows_the_cameras_own_offset_when_it_gives_one():
    info = inspect_image(io.BytesIO(jpeg(exif=camera_exif(offset="+02:00"))))

    assert info.taken_at == datetime(2024, 5, 1, 7, 30, tzinfo=UTC)
    assert info.taken_at.utcoffset() == timedelta(hours=2)
    assert info.taken_at.tzinfo == timezone(timedelta(hours=2))


def test_a_time_in_the_project_zone_is_read_under_other_settings(settings):
    settings.TIME_ZONE = "UTC"

    info = inspect_image(io.BytesIO(jpeg(exif=camera_exif())))

    assert info.taken_at == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def test_a_photo_without_exif_has_no_time_or_place_and_keeps_its_size():
    info = inspect_image(io.BytesIO(jpeg()))

    assert (info.width, info.height) == (300, 200)
    assert info.taken_at is None
    assert info.lat is None and info.lng is None


def test_blank_exif_values_are_ignored_not_fatal():
    exif = camera_exif(taken="0000:00:00 00:00:00", gps=False)
    exif[IFD.GPSInfo] = {
        GPS.GPSLatitudeRef: "N",
        GPS.GPSLatitude: rationals((0, 1), (0, 1), (0, 1)),
        GPS.GPSLongitudeRef: "E",
        GPS.GPSLongitude: rationals((0, 1), (0, 1), (0, 1)),
    }

    info = inspect_image(io.BytesIO(jpeg(exif=exif)))

    assert info.taken_at is None
    assert info.lat is None and info.lng is None


def test_a_png_with_transparency_is_accepted():
    data = png_with_alpha()

    info = inspect_image(io.BytesIO(data))

    assert (info.format, info.content_type, info.width, info.height) == ("png", "image/png", 120, 80)


def test_a_webp_is_accepted():
    data = encode(two_halves(), "WEBP", quality=80)

    info = inspect_image(io.BytesIO(data))

    assert (info.format, info.content_type, info.width, info.height) == ("webp", "image/webp", 300, 200)
    assert info.size == len(data)


def test_an_upload_is_checked_and_left_rewound_for_saving():
    data = jpeg(exif=camera_exif())
    upload = SimpleUploadedFile("IMG_0001.JPG", data, content_type="image/jpeg")
    upload.read(10)

    info = inspect_image(upload)

    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert upload.tell() == 0
    assert upload.read() == data


def test_an_upload_spooled_to_disk_is_checked_the_same_way():
    data = jpeg(exif=camera_exif())
    upload = TemporaryUploadedFile("IMG_0002.jpg", "image/jpeg", len(data), None)
    upload.write(data)

    info = inspect_image(upload)

    assert (info.size, info.width, info.height) == (len(data), 200, 300)
    assert upload.tell() == 0
    upload.close()


def test_a_stream_is_left_rewound_even_when_it_is_refused():
    stream = io.BytesIO(b"GIF89a not really")

    with pytest.raises(ValidationError):
        inspect_image(stream)

    assert stream.tell() == 0


# -- inspect_image: what it refuses


def test_a_gif_is_refused_even_when_it_is_named_and_declared_as_jpeg():
    upload = SimpleUploadedFile("photo.jpg", encode(two_halves(), "GIF"), content_type="image/jpeg")

    with pytest.raises(ValidationError) as error:
        inspect_image(upload)

    assert code_of(error) == "photo_type"
    assert error.value.messages == ["Only JPEG, PNG or WebP photos are accepted."]


def test_a_text_file_named_jpg_is_refused():
    upload = SimpleUploadedFile("photo.jpg", b"just some words, not a picture\n", content_type="image/jpeg")

    with pytest.raises(ValidationError) as error:
        inspect_image(upload)

    assert code_of(error) == "photo_type"


@pytest.mark.parametrize("format", ["BMP", "TIFF"])
def test_other_picture_formats_are_refused(format):
    with pytest.raises(ValidationError) as error:
        inspect_image(io.BytesIO(encode(two_halves(), format)))

    assert code_of(error) == "photo_type"


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError) as error:
        inspect_image(io.BytesIO(b""))

    assert code_of(error) == "photo_type"


def test_a_cut_off_jpeg_is_refused_as_broken():
    data = jpeg(noisy((400, 300)))

    with pytest.raises(ValidationError) as error:
        inspect_image(io.BytesIO(data[: len(data) // 2]))

    assert code_of(error) == "photo_broken"
    assert error.value.messages == ["The photo file is damaged and cannot be read."]


def test_a_jpeg_cut_inside_its_header_is_refused_as_broken():
    with pytest.raises(ValidationError) as error:
        inspect_image(io.BytesIO(jpeg()[:40]))

    assert code_of(error) == "photo_broken"


def test_a_png_with_damaged_data_is_refused_as_broken():
    data = bytearray(encode(noisy((64, 64)), "PNG"))
    data[200] ^= 0xFF  # inside the compressed pixels: the chunk's CRC no longer matches

    with pytest.raises(ValidationError) as error:
        inspect_image(io.BytesIO(bytes(data)))

    assert code_of(error) == "photo_broken"


def test_a_file_over_the_given_limit_is_refused():
    data = jpeg(noisy((300, 300)))
    assert len(data) > 50_000

    with pytest.raises(ValidationError) as error:
        inspect_image(io.BytesIO(data), max_bytes=50_000)

    assert code_of(error) == "photo_too_large"
    assert error.value.messages == ["The photo is larger than 0.05 MB."]


def test_the_limit_comes_from_the_settings_and_is_shown_in_megabytes(settings):
    settings.GRIDGOV_MAX_PHOTO_BYTES = 1024 * 1024 // 2
    data = b"\xff\xd8\xff" + bytes(1024 * 1024)

    with pytest.raises(ValidationError) as error:
        inspect_image(io.BytesIO(data))

    assert code_of(error) == "photo_too_large"
    assert error.value.messages == ["The photo is larger than 0.5 MB."]


def test_the_default_limit_is_fifteen_megabytes(settings):
    del settings.GRIDGOV_MAX_PHOTO_BYTES
    data = b"\xff\xd8\xff" + bytes(15 * 1024 * 1024)

    with pytest.raises(ValidationError) as error:
        inspect_image(io.BytesIO(data))

    assert error.value.messages == ["The photo is larger than 15 MB."]


def test_a_file_exactly_at_the_limit_is_not_refused_for_its_size():
    data = jpeg()

    assert inspect_image(io.BytesIO(data), max_bytes=len(data)).size == len(data)


@pytest.mark.parametrize(("width", "height"), [(8000, 7000), (20000, 20000)])
def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded(width, height):
    with pytest.raises(ValidationError) as error:
        inspect_image(io.BytesIO(png_claiming(width, height)))

    assert code_of(error) == "photo_too_big_pixels"


def test_fifty_million_pixels_is_the_cap():
    with pytest.raises(ValidationError) as error:
        inspect_image(io.BytesIO(png_claiming(10000, 5001)))
    assert code_of(error) == "photo_too_big_pixels"

    # Exactly at the cap the header passes; this tiny file then fails to decode instead.
    with pytest.raises(ValidationError) as error:
        inspect_image(io.BytesIO(png_claiming(10000, 5000)))
    assert code_of(error) == "photo_broken"


# -- build_thumbnail


def open_jpeg(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    return image


def test_a_thumbnail_is_turned_upright_and_carries_no_exif():
    data = jpeg(exif=camera_exif())
    stream = io.BytesIO(data)

    thumb_bytes = build_thumbnail(stream, max_side=150)
    thumb = open_jpeg(thumb_bytes)

    assert thumb.size == (100, 150)  # stored 300x200 landscape, shown portrait
    assert thumb.mode == "RGB"
    # Orientation 6: the stored left (red) half is on top once turned.
    assert _close(thumb.getpixel((50, 20)), RED)
    assert _close(thumb.getpixel((50, 130)), BLUE)
    assert len(thumb.getexif()) == 0
    assert "exif" not in thumb.info
    assert b"Exif\x00\x00" not in thumb_bytes
    assert b"GridPhone" not in thumb_bytes
    assert stream.tell() == 0


def test_a_thumbnail_keeps_the_colour_profile_but_not_the_exif():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = jpeg(exif=camera_exif(), icc_profile=profile)

    thumb = open_jpeg(build_thumbnail(io.BytesIO(data)))

    assert thumb.info.get("icc_profile") == profile
    assert len(thumb.getexif()) == 0


def test_a_thumbnail_fits_the_default_box():
    thumb = open_jpeg(build_thumbnail(io.BytesIO(jpeg(two_halves((1600, 900))))))

    assert thumb.size == (480, 270)


def test_a_small_picture_is_not_enlarged_for_its_thumbnail():
    thumb = open_jpeg(build_thumbnail(io.BytesIO(jpeg(two_halves((200, 100))))))

    assert thumb.size == (200, 100)


def test_transparency_is_laid_on_white_in_a_thumbnail():
    thumb = open_jpeg(build_thumbnail(io.BytesIO(png_with_alpha())))

    assert thumb.size == (120, 80)
    assert _close(thumb.getpixel((20, 40)), RED)
    assert _close(thumb.getpixel((100, 40)), (255, 255, 255))


def test_a_webp_gets_a_jpeg_thumbnail():
    thumb = open_jpeg(build_thumbnail(io.BytesIO(encode(two_halves((960, 480)), "WEBP")), max_side=240))

    assert thumb.size == (240, 120)


def test_a_palette_png_with_a_transparent_colour_gets_a_white_background():
    image = Image.new("P", (40, 40), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(0, (20, 0, 40, 40))

    thumb = open_jpeg(build_thumbnail(io.BytesIO(encode(image, "PNG", transparency=0))))

    assert _close(thumb.getpixel((10, 20)), RED)
    assert _close(thumb.getpixel((30, 20)), (255, 255, 255))


def test_a_sixteen_bit_greyscale_png_gets_a_thumbnail():
    image = Image.new("I;16", (50, 50), 65535)

    thumb = open_jpeg(build_thumbnail(io.BytesIO(encode(image, "PNG"))))

    assert thumb.size == (50, 50)
    assert _close(thumb.getpixel((25, 25)), (255, 255, 255))


def test_a_thumbnail_of_an_upload_leaves_it_rewound():
    upload = SimpleUploadedFile("a.jpg", jpeg(), content_type="image/jpeg")

    assert open_jpeg(build_thumbnail(upload)).size == (300, 200)
    assert upload.tell() == 0


# -- display_copy


def test_a_small_upright_photo_without_location_is_shown_as_it_is():
    exif = camera_exif(orientation=1, gps=False)

    assert display_copy(io.BytesIO(jpeg(exif=exif))) is None
    assert display_copy(io.BytesIO(jpeg())) is None
    assert display_copy(io.BytesIO(png_with_alpha())) is None


def test_a_photo_with_a_location_gets_a_copy_without_it():
    data = jpeg(exif=camera_exif(orientation=1))

    copy = display_copy(io.BytesIO(data))

    assert copy is not None
    image = open_jpeg(copy)
    assert image.size == (300, 200)
    assert len(image.getexif()) == 0
    assert inspect_image(io.BytesIO(copy)).lat is None


def test_a_turned_photo_gets_an_upright_copy():
    copy = display_copy(io.BytesIO(jpeg(exif=camera_exif(gps=False))))

    assert copy is not None
    image = open_jpeg(copy)
    assert image.size == (200, 300)
    assert _close(image.getpixel((100, 30)), RED)
    assert len(image.getexif()) == 0


def test_a_large_photo_gets_a_smaller_copy():
    copy = display_copy(io.BytesIO(jpeg(two_halves((3000, 1000)))))

    assert copy is not None
    assert open_jpeg(copy).size == (2048, 683)


def test_the_display_box_can_be_chosen():
    stream = io.BytesIO(jpeg(two_halves((300, 200))))

    assert display_copy(stream, max_side=300) is None
    copy = display_copy(stream, max_side=150)
    assert copy is not None
    assert open_jpeg(copy).size == (150, 100)
    assert stream.tell() == 0


def _close(pixel: object, expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(int(got) - want) <= tolerance for got, want in zip(pixel, expected, strict=True))
