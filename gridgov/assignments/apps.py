from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssignmentsConfig(AppConfig):
    name = "gridgov.assignments"
    label = "assignments"
    verbose_name = _("Leaders' tasks")

    def ready(self) -> None:
        # Django's pattern: modules that need the app registry are imported once it is ready.
        from . import notices  # noqa: F401 - registers the notification renderers
        from .navigation import register

        register()
