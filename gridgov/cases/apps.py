from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "gridgov.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # Django's pattern: modules that need the app registry are imported once it is ready.
        from gridgov.core import textsearch
        from gridgov.workcalendar.services import register_year_loaded_hook

        from . import (
            models,
            notices,  # noqa: F401  (registers the notification renderers)
            recalendar,
            rollups,
            selectors,
        )
        from .navigation import register

        register()
        textsearch.register(models.Case._meta.db_table, selectors.SEARCHED)
        rollups.connect()
        register_year_loaded_hook(recalendar.year_loaded)
