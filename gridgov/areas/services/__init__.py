"""Writes of the areas app: create, update and retire areas; import and export GeoJSON.

Every function takes keyword-only arguments and an ``actor``, runs in one transaction and
writes its audit row in that transaction. Any change tells the locate index to rebuild once
the transaction commits.

The modules: :mod:`.tree` (single areas), :mod:`.geojson_import`, :mod:`.export`,
:mod:`.codes` (statistics division codes) and :mod:`.checks` (what the writes share).
"""

from __future__ import annotations

from .codes import CODE_LENGTH, code_problems
from .export import areas_export
from .geojson_import import IMPORT_BATCH, AreaImportError, ImportProblem, ImportReport, areas_import
from .places import PlaceIn, places_save
from .tree import UNSET, area_create, area_retire, area_update

__all__ = [
    "CODE_LENGTH",
    "IMPORT_BATCH",
    "UNSET",
    "AreaImportError",
    "ImportProblem",
    "ImportReport",
    "PlaceIn",
    "area_create",
    "area_retire",
    "area_update",
    "areas_export",
    "areas_import",
    "code_problems",
    "places_save",
]
