"""Request bodies that come as JSON or as multipart with photos (the phone's outbox sends a
record with photos as ``payload``, the JSON text, and ``photos``; without photos as JSON), and
their OpenAPI description. Used by every endpoint that takes photos with a record."""

from __future__ import annotations

import json
from copy import deepcopy
from typing import Any, TypeVar

import pydantic
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import ValidationError as NinjaValidationError

from .errors import BadRequest

BodyT = TypeVar("BodyT", bound=pydantic.BaseModel)


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def json_or_multipart(request: HttpRequest, schema: type[BodyT]) -> tuple[BodyT, list[UploadedFile]]:
    """The JSON body (or the ``payload`` field of a multipart body) checked against ``schema``,
    and the uploaded ``photos``."""
    files: list[UploadedFile] = []
    if request.content_type == "multipart/form-data":
        raw: str | bytes = request.POST.get("payload") or "{}"
        files = request.FILES.getlist("photos")
    else:
        raw = request.body or b"{}"
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(_("The body is not valid JSON.")) from None
    if request.content_type == "multipart/form-data":
        if not isinstance(data, dict):
            raise BadRequest(_("The payload must be a JSON object."))
        kinds = _split(request.POST.getlist("photo_kinds"))
        if kinds and not data.get("photo_kinds"):
            data["photo_kinds"] = kinds
    try:
        return schema.model_validate(data), files
    except pydantic.ValidationError as error:
        errors = [
            {**item, "loc": ("body", "payload", *item["loc"]) if item["loc"] else ("body",)}
            for item in error.errors(include_url=False, include_context=False)
        ]
        raise NinjaValidationError(errors) from None


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema with its ``$defs`` written in place (for ``openapi_extra``)."""
    definitions = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(deepcopy(definitions[ref.removeprefix("#/$defs/")]))
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(schema)  # type: ignore[no-any-return]


def body_doc(schema: type[pydantic.BaseModel], extra_parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _inline_refs(schema.model_json_schema())},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "payload": {"type": "string", "description": "The JSON body as text."},
                            "photos": {"type": "array", "items": {"type": "string", "format": "binary"}},
                            "photo_kinds": {"type": "array", "items": {"type": "string"}},
                        },
                    }
                },
            },
        }
    }
    if extra_parameters:
        doc["parameters"] = extra_parameters
    return doc
