"""The people fixtures (clock, world, cache reset) serve the API tests too."""

from gridgov.people.tests.conftest import _clear_cache, clock, world

__all__ = ["_clear_cache", "clock", "world"]
