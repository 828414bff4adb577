from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "gridgov.hotline"
    label = "hotline"
    verbose_name = _("Hotline work orders")

    def ready(self) -> None:
        # Django's pattern: modules that need the app registry are imported once it is ready.
        from gridgov.cases.services import CLOSE_HOOKS
        from gridgov.core import textsearch
        from gridgov.workcalendar.services import register_year_loaded_hook

        from . import (
            models,
            notices,  # noqa: F401  (registers the notification renderers)
            recalendar,
            selectors,
        )
        from .navigation import register
        from .services import case_closed

        register()
        textsearch.register(models.HotlineOrder._meta.db_table, selectors.SEARCHED)
        register_year_loaded_hook(recalendar.year_loaded)
        if case_closed not in CLOSE_HOOKS:
            CLOSE_HOOKS.append(case_closed)
