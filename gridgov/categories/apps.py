from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CategoriesConfig(AppConfig):
    name = "gridgov.categories"
    label = "categories"
    verbose_name = _("Categories")

    def ready(self) -> None:
        from gridgov.core import tableversions

        # The classification's version (categories/0003; gridgov/core/tableversions.py).
        tableversions.register("categories", {"categories_category": (), "categories_categorytimelimit": ()})
