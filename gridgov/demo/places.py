"""The Taiping demo's place names: roads, landmarks and residential communities a caller
names on the phone, placed inside the town (for the center's place search)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from gridgov.areas.models import Area, AreaLevel, PlaceKind
from gridgov.areas.services import PlaceIn, places_save

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Name, kind, and where: the offset (in thousandths of a degree) from the centre of the
# n-th village (by code), so the places fall inside the generated town.
TOWN_PLACES: Final = (
    ("太平大街", PlaceKind.ROAD, 0, 0, 0),
    ("兴业路", PlaceKind.ROAD, 1, 2, -1),
    ("滨河路", PlaceKind.ROAD, 2, -1, 2),
    ("工农路", PlaceKind.ROAD, 3, 1, 1),
    ("太平镇人民政府", PlaceKind.LANDMARK, 0, 1, 1),
    ("太平镇卫生院", PlaceKind.LANDMARK, 0, -1, 2),
    ("太平中学", PlaceKind.LANDMARK, 1, -2, 0),
    ("太平中心小学", PlaceKind.LANDMARK, 2, 1, -2),
    ("农贸市场", PlaceKind.LANDMARK, 0, 2, -2),
    ("长途汽车站", PlaceKind.LANDMARK, 3, -1, -1),
    ("镇文化广场", PlaceKind.LANDMARK, 1, 0, 2),
    ("幸福家园小区", PlaceKind.COMMUNITY, 2, 2, 1),
    ("惠民小区", PlaceKind.COMMUNITY, 3, 0, 2),
    ("锦绣花园", PlaceKind.COMMUNITY, 4, -2, 1),
)


def places_load(*, actor: User | None, town: Area) -> int:
    """Save the demo places of ``town``; returns how many were created."""
    villages = list(
        Area.objects.current()
        .filter(parent=town, level=AreaLevel.VILLAGE, center_lat__isnull=False)
        .order_by("code")
        .values_list("center_lat", "center_lng")
    )
    if not villages:
        return 0
    items = []
    for name, kind, village, north, east in TOWN_PLACES:
        lat, lng = villages[village % len(villages)]
        assert lat is not None and lng is not None
        items.append(PlaceIn(name=name, kind=kind, lat=lat + north / 1000, lng=lng + east / 1000))
    created, _updated = places_save(actor=actor, town=town, places=items)
    return created
