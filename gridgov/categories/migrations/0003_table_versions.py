"""The version of the classification and its time limits (``gridgov.core.tableversions``,
group ``categories``): the triggers that give it a new value on every write of them."""

from django.db import migrations

from gridgov.core import tableversions


class Migration(migrations.Migration):
    dependencies = [("categories", "0002_category_photo_flags")]

    operations = [
        tableversions.migration_operation(
            "categories", {"categories_category": (), "categories_categorytimelimit": ()}
        )
    ]
