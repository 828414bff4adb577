from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "gridgov.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Django's pattern: modules that need the app registry are imported once it is ready.
        from . import checks  # noqa: F401  (registers the system checks)
