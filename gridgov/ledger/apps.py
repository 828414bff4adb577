from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "gridgov.ledger"
    label = "ledger"
    verbose_name = _("Historical ledger import")

    def ready(self) -> None:
        # Django's pattern: modules that need the app registry are imported once it is ready.
        from .navigation import register

        register()
