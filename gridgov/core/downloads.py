"""Files the system writes (Word, PDF, Excel) sent to a browser or an API client: one content type
per format and one way to answer with the file."""

from __future__ import annotations

import re
import unicodedata
from typing import Final
from urllib.parse import quote

from django.http import HttpResponse
from django.utils.http import content_disposition_header

CONTENT_TYPES: Final = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# What a quoted ASCII file name may not hold as it is (RFC 6266 ``filename="…"``): a quote, a
# backslash, a control character or anything not ASCII.
_UNSAFE: Final = re.compile(r'["\\]|[^\x20-\x7e]')


def _quotable(name: str) -> bool:
    return bool(name) and not _UNSAFE.search(name)


def ascii_name(filename: str, default: str = "download") -> str:
    """An ASCII stand-in for ``filename`` (accents dropped, anything else an underscore), for
    the clients that do not read ``filename*``."""
    folded = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    stem, dot, extension = folded.rpartition(".")
    if not dot:
        stem, extension = folded, ""
    stem = _UNSAFE.sub("_", stem).strip(" _") or default
    return f"{stem}.{extension}" if extension else stem


def attachment_disposition(filename: str, fallback: str = "") -> str:
    """``Content-Disposition`` of an attachment (RFC 6266): ``filename="…"`` alone for a plain
    ASCII name; otherwise an ASCII ``filename`` (``fallback``, or the name with what is not ASCII
    replaced) and the real name as ``filename*=UTF-8''…`` (RFC 8187), which browsers prefer."""
    if _quotable(filename):
        return str(content_disposition_header(True, filename))
    plain = fallback if _quotable(fallback) else ascii_name(filename)
    return f"{content_disposition_header(True, plain)}; filename*=UTF-8''{quote(filename, safe='')}"


def document_response(content: bytes, extension: str, filename: str, *, fallback: str = "") -> HttpResponse:
    """``content`` as an attachment named ``filename`` (``fallback``: its ASCII name for old
    clients, see :func:`attachment_disposition`). Every such file is about the town's work and
    may name people: no shared cache keeps it."""
    response = HttpResponse(content, content_type=CONTENT_TYPES[extension])
    response["Content-Disposition"] = attachment_disposition(filename, fallback)
    response["Cache-Control"] = "private, no-store"
    return response
