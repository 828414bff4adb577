from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "gridgov.hotline"
    label = "hotline"
    verbose_name = _("Hotline work orders")

    def ready(self) -> None:
        from gridgov.cases.services import CLOSE_HOOKS

        from . import notices  # noqa: F401  (registers the notification renderers)
        from .navigation import register
        from .services import case_closed

        register()
        if case_closed not in CLOSE_HOOKS:
            CLOSE_HOOKS.append(case_closed)
