from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "gridgov.assessment"
    label = "assessment"
    verbose_name = _("Assessment")

    def ready(self) -> None:
        # Django's pattern: modules that need the app registry are imported once it is ready.
        from . import notices  # noqa: F401  (registers the notification renderers)
        from .navigation import register
        from .oversight_rules import register_rules

        register()
        register_rules()
