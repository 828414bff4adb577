"""Settings of the benchmark server: the normal settings plus the bench-only URLs.

Used by ``bench/intake.py`` only (``DJANGO_SETTINGS_MODULE=bench.bench_settings``), so that the
bare comparison endpoint never exists in the product's URLs.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
