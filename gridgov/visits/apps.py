from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "gridgov.visits"
    label = "visits"
    verbose_name = _("Visits")

    def ready(self) -> None:
        # Django's pattern: modules that need the app registry are imported once it is ready.
        from .navigation import register

        register()
