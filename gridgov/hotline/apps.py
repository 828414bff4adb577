from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "gridgov.hotline"
    label = "hotline"
    verbose_name = _("Hotline work orders")

    def ready(self) -> None:
        from .navigation import register

        register()
