from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    name = "gridgov.patrols"
    label = "patrols"
    verbose_name = _("Patrols")

    def ready(self) -> None:
        # Django's pattern: modules that need the app registry are imported once it is ready.
        from .navigation import register

        register()
