"""The OpenAPI document names each schema once (issue 13, item 16): django-ninja files every
response and body model under its class name, so two different classes with one name would
share a component and one endpoint's responses would not match the schema it documents."""

from __future__ import annotations

import typing
from collections import defaultdict
from typing import Any

from pydantic import BaseModel

from gridgov.api.api import api


def _models(annotation: Any, found: dict[str, set[type[BaseModel]]], depth: int = 0) -> None:
    if depth > 10:
        return
    if typing.get_origin(annotation) is not None:
        for argument in typing.get_args(annotation):
            _models(argument, found, depth + 1)
        return
    if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return
    # ninja wraps responses and parameters in models of its own; only ours are named in the schema.
    if annotation.__module__.startswith("gridgov"):
        if annotation in found[annotation.__name__]:
            return
        found[annotation.__name__].add(annotation)
    for field in annotation.model_fields.values():
        _models(field.annotation, found, depth + 1)


def test_every_schema_class_of_the_api_has_a_name_of_its_own() -> None:
    found: dict[str, set[type[BaseModel]]] = defaultdict(set)
    operations = 0
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                operations += 1
                for model in (operation.response_models or {}).values():
                    _models(model, found)
                for model in operation.models or []:
                    _models(model, found)
    assert operations >= 40
    assert len(found) >= 40
    clashes = {name: sorted(c.__module__ for c in classes) for name, classes in found.items() if len(classes) > 1}
    assert clashes == {}
