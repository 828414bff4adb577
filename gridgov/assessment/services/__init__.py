"""Assessment services (being split into parts; every public name importable from here)."""

from .periods import *  # noqa: F403
