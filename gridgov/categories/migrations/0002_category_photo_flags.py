"""Per category: whether a report-back needs a result photo and a verification an on-site
photo. New categories need both; the categories stored before need them when they are field
categories (on-site verification required), as the seeded catalogue does."""

from django.db import migrations, models


def field_categories_need_photos(apps, schema_editor):
    Category = apps.get_model("categories", "Category")
    Category.objects.filter(verification_required=False).update(
        result_photo_required=False, verify_photo_required=False
    )


class Migration(migrations.Migration):
    dependencies = [
        ("categories", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="result_photo_required",
            field=models.BooleanField(default=True, verbose_name="report-back needs a result photo"),
        ),
        migrations.AddField(
            model_name="category",
            name="verify_photo_required",
            field=models.BooleanField(default=True, verbose_name="verification needs an on-site photo"),
        ),
        migrations.RunPython(field_categories_need_photos, migrations.RunPython.noop),
    ]
