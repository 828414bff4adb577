"""``export_areas [--level grid] [--root CODE] [-o FILE]``: write current areas as GeoJSON."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.areas.models import Area, AreaLevel
from gridgov.areas.services import areas_export


class Command(BaseCommand):
    help = "Export current areas as a GeoJSON FeatureCollection (import_areas reads it back)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--level", choices=AreaLevel.values, help="Only areas of this level.")
        parser.add_argument("--root", metavar="CODE", help="Only this area and the areas inside it.")
        parser.add_argument("-o", "--output", metavar="FILE", help="Write here instead of standard output.")

    def handle(self, *args: Any, **options: Any) -> None:
        root = None
        if options["root"]:
            root = Area.objects.current().filter(code=options["root"]).first()
            if root is None:
                raise CommandError(f"No current area with code {options['root']}.")
        collection = areas_export(level=options["level"], root=root)
        text = json.dumps(collection, ensure_ascii=False, indent=1)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
            self.stderr.write(f"Wrote {len(collection['features'])} areas to {options['output']}.")
        else:
            self.stdout.write(text)
