"""The whole suite's fixtures live in one plugin, :mod:`gridgov.testing.fixtures` (the Taiping
demo restored from a snapshot, the named accounts, the browser, a media folder per test)."""

pytest_plugins = ["gridgov.testing.fixtures"]
