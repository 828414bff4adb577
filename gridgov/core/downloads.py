"""Files the system writes (Word, PDF, Excel) sent to a browser or an API client: one content type
per format and one way to answer with the file."""

from __future__ import annotations

from typing import Final

from django.http import HttpResponse

CONTENT_TYPES: Final = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def document_response(content: bytes, extension: str, filename: str) -> HttpResponse:
    """``content`` as an attachment named ``filename``. Every such file is about the town's work
    and may name people: no shared cache keeps it."""
    response = HttpResponse(content, content_type=CONTENT_TYPES[extension])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
