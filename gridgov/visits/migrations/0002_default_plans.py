from django.db import migrations

# How often a household with each care tag is visited until the center changes it.
DEFAULTS = {"elderly_alone": 7, "disabled": 14, "left_behind_child": 14, "low_income": 30}


def add_plans(apps, schema_editor):
    plan = apps.get_model("visits", "VisitPlan")
    for tag, days in DEFAULTS.items():
        plan.objects.get_or_create(care_tag=tag, defaults={"interval_days": days})


class Migration(migrations.Migration):
    dependencies = [("visits", "0001_initial")]
    operations = [migrations.RunPython(add_plans, migrations.RunPython.noop)]
