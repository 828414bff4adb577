"""Seed the default office hours (08:30–12:00 and 13:30–17:30) when none are configured."""

import datetime

from django.db import migrations

DEFAULT_PERIODS = [(datetime.time(8, 30), datetime.time(12, 0)), (datetime.time(13, 30), datetime.time(17, 30))]


def seed(apps, schema_editor):
    WorkingPeriod = apps.get_model("workcalendar", "WorkingPeriod")
    if not WorkingPeriod.objects.exists():
        WorkingPeriod.objects.bulk_create(WorkingPeriod(start=s, end=e) for s, e in DEFAULT_PERIODS)


def unseed(apps, schema_editor):
    WorkingPeriod = apps.get_model("workcalendar", "WorkingPeriod")
    for start, end in DEFAULT_PERIODS:
        WorkingPeriod.objects.filter(start=start, end=end).delete()


class Migration(migrations.Migration):
    dependencies = [("workcalendar", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
