"""Whether a document someone attaches is what its name says (tasks' files, assessment evidence).

An attachment is served as a download (``Content-Disposition: attachment``, ``nosniff``) with
the type of its extension, so a disguised file does no harm in the browser; but a town's
documents are opened by other people's office programs, so an HTML page or a program named
``通知.pdf`` is refused when it is sent. The check reads the first bytes: each kind of document
starts with its own signature (PDF ``%PDF-``, the Office Open XML, OFD and zip packages
``PK``, the older Word, Excel and WPS files the OLE compound header, the pictures theirs);
a text file must not be binary.
"""

from __future__ import annotations

import re
from typing import Final

HEAD_BYTES: Final = 8192  # how much of a file :func:`fits` needs

_ZIP: Final = (b"PK\x03\x04", b"PK\x05\x06")
_OLE: Final = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
SIGNATURES: Final[dict[str, tuple[bytes, ...]]] = {
    "pdf": (b"%PDF-",),
    "docx": _ZIP,
    "xlsx": _ZIP,
    "zip": _ZIP,
    "ofd": _ZIP,
    "doc": _OLE,
    "xls": _OLE,
    "wps": (*_OLE, *_ZIP),  # WPS Office writes either
    "et": (*_OLE, *_ZIP),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "gif": (b"GIF87a", b"GIF89a"),
}
_PATH_PARTS: Final = re.compile(r"^.*[/\\]")


def extension(name: str) -> str:
    """The lower-case extension of a file name, without the dot ("" when it has none)."""
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def display_name(name: str, limit: int = 200) -> str:
    """A file name as it is kept and shown: without the folders a client may have put before
    it (``../../x.pdf``, ``C:\\Users\\x.pdf``) and the spaces around it, at most ``limit``
    characters with its extension kept (a long name cut at the limit lost its ``.pdf``)."""
    name = _PATH_PARTS.sub("", name).strip()
    if len(name) <= limit:
        return name
    kind = extension(name)[:10]
    return f"{name[: limit - len(kind) - 1]}.{kind}" if kind else name[:limit]


def fits(name: str, head: bytes) -> bool:
    """Whether the first bytes of a file (at least :data:`HEAD_BYTES` of it, or all of a
    smaller one) are those of the kind its extension names. A text file (``txt``) fits when
    it holds no NUL byte; an extension this module does not know never fits."""
    kind = extension(name)
    if kind == "txt":
        return b"\x00" not in head
    signatures = SIGNATURES.get(kind, ())
    return bool(signatures) and head.startswith(signatures)
