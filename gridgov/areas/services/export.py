"""Exporting areas as a GeoJSON FeatureCollection that the import accepts back."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from ..geojson import feature_collection
from ..models import Area, AreaLevel


def areas_export(*, level: str | None = None, root: Area | None = None) -> dict[str, Any]:
    """Current areas as a FeatureCollection that :func:`areas_import` accepts back, parents
    first. ``root`` limits it to that subtree (root included), ``level`` to one level."""
    areas = Area.objects.current().select_related("parent")
    if level is not None:
        if level not in AreaLevel.values:
            raise ValidationError({"level": f"Unknown level {level!r}."})
        areas = areas.filter(level=level)
    if root is not None:
        areas = areas.filter(path__startswith=root.path)
    return feature_collection(areas)
