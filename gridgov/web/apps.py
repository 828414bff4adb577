from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "gridgov.web"
    label = "web"
    verbose_name = _("Web")

    def ready(self) -> None:
        from gridgov.core.reveals import reveal_throttled
        from gridgov.people.signals import self_granted

        from .security_notices import on_reveal_throttled, on_self_granted

        self_granted.connect(on_self_granted, dispatch_uid="gridgov.web.self_granted")
        reveal_throttled.connect(on_reveal_throttled, dispatch_uid="gridgov.web.reveal_throttled")
