from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticeConfig(AppConfig):
    name = "gridgov.notice"
    label = "notice"
    verbose_name = _("Staff public notice")

    def ready(self) -> None:
        # Django's pattern: modules that need the app registry are imported once it is ready.
        from . import signals  # noqa: F401
        from .navigation import register

        register()
