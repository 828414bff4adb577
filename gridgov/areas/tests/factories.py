"""Factories for areas: a square-boundary tree district → town → village → grid."""

from __future__ import annotations

from typing import Any

import factory

from gridgov.areas.models import Area, AreaLevel


def square(lng: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    """A GeoJSON Polygon: the square with its south-west corner at (lng, lat)."""
    return {
        "type": "Polygon",
        "coordinates": [[[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]],
    }


class AreaFactory(factory.django.DjangoModelFactory):
    """Builds an area and keeps ``path`` right (the services do that in real code)."""

    class Meta:
        model = Area
        skip_postgeneration_save = True

    level = AreaLevel.DISTRICT
    code = factory.Sequence(lambda n: f"12{n:04d}000000")
    name = factory.Sequence(lambda n: f"Area {n}")
    parent = None
    households = 300

    @factory.post_generation
    def _path(self: Any, create: bool, extracted: Any, **kwargs: Any) -> None:
        parent_path = self.parent.path if self.parent else "/"
        self.path = f"{parent_path}{self.pk}/"
        if create:
            Area.objects.filter(pk=self.pk).update(path=self.path)


def make_tree(villages: int = 2, grids_per_village: int = 2, origin: tuple[float, float] = (117.2, 38.6)):
    """A district, one town, ``villages`` villages in a row, each with ``grids_per_village``
    grids side by side. Returns (district, town, [villages], [grids])."""
    lng0, lat0 = origin
    size = 0.01
    district = AreaFactory(level=AreaLevel.DISTRICT, code="120116000000", name="District")
    town = AreaFactory(level=AreaLevel.TOWN, code="120116111000", name="Town", parent=district)
    village_rows, grid_rows = [], []
    for v in range(villages):
        v_lng = lng0 + v * size * grids_per_village
        village = AreaFactory(
            level=AreaLevel.VILLAGE,
            code=f"120116111{201 + v:03d}",
            name=f"Village {v + 1}",
            parent=town,
            boundary={
                "type": "Polygon",
                "coordinates": [
                    [
                        [v_lng, lat0],
                        [v_lng + size * grids_per_village, lat0],
                        [v_lng + size * grids_per_village, lat0 + size],
                        [v_lng, lat0 + size],
                        [v_lng, lat0],
                    ]
                ],
            },
        )
        village_rows.append(village)
        for g in range(grids_per_village):
            grid_rows.append(
                AreaFactory(
                    level=AreaLevel.GRID,
                    code=f"{village.code}{g + 1:02d}",
                    name=f"Grid {v + 1}-{g + 1}",
                    parent=village,
                    boundary=square(v_lng + g * size, lat0, size),
                )
            )
    return district, town, village_rows, grid_rows
