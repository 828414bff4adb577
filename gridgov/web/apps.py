from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "gridgov.web"
    label = "web"
    verbose_name = _("Web")

    def ready(self) -> None:
        from gridgov.people.signals import self_granted

        from .security_notices import on_self_granted

        self_granted.connect(on_self_granted, dispatch_uid="gridgov.web.self_granted")
