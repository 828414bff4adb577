"""The category filter's index: a category's cases newest first (a town's category at ten
million cases: the list's first page 207 → 105 ms, ``docs/benchmarks.md``). It starts with the
category, so the foreign key's own index goes. On PostgreSQL built ``CONCURRENTLY``, outside a
transaction, so new reports are not held while it is built (about 10 s at ten million cases)."""

from django.db import migrations, models

from gridgov.core import indexes

NAME = "case_category_reported"
INDEX = models.Index(fields=["category", "-reported_at", "-id"], name=NAME)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cases", "0025_case_text_grams")]

    operations = [
        indexes.migration_operation("cases", "case", INDEX),
        migrations.AlterField(
            model_name="case",
            name="category",
            field=models.ForeignKey(
                db_index=False,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="categories.category",
                verbose_name="category",
            ),
        ),
    ]
