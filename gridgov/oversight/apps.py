from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    name = "gridgov.oversight"
    label = "oversight"
    verbose_name = _("Discipline oversight")

    def ready(self) -> None:
        # Django's pattern: modules that need the app registry are imported once it is ready.
        from . import notices, rules  # noqa: F401 - registers the notice renderers and the built-in rules
        from .navigation import register

        register()
