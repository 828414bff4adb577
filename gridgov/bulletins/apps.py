from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulletinsConfig(AppConfig):
    name = "gridgov.bulletins"
    label = "bulletins"
    verbose_name = _("Bulletins")

    def ready(self) -> None:
        # Django's pattern: modules that need the app registry are imported once it is ready.
        from .navigation import register

        register()
