"""Backfill the frozen milestones of existing cases from their timelines and stages (the same
rules as gridgov.cases.services.milestones, replayed once)."""

from django.db import migrations

VERIFY = {"verify_pass", "verify_fail"}


def backfill(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    CaseStage = apps.get_model("cases", "CaseStage")
    fields = [
        "registered_at",
        "dispatched_at",
        "dispatch_count",
        "redispatched_at",
        "handled_at",
        "handled_on_time",
        "reworked_at",
        "verified_at",
        "verified_on_time",
        "verified_by",
        "due_at",
        "closed_on_time",
        "voided_at",
    ]
    batch = []
    for case in Case.objects.order_by("pk").iterator(chunk_size=500):
        events = list(CaseEvent.objects.filter(case_id=case.pk).order_by("at", "id"))
        stages = list(CaseStage.objects.filter(case_id=case.pk).order_by("started_at", "id"))
        handles = [s for s in stages if s.stage == "handle"]
        verifies = [s for s in stages if s.stage == "verify"]
        for event in events:
            action = event.action
            if action in ("register", "accept") and case.registered_at is None:
                case.registered_at = event.at
            elif action == "dispatch":
                case.dispatch_count += 1
                case.dispatched_at = case.dispatched_at or event.at
            elif action == "return" and case.dispatched_at is not None and case.redispatched_at is None:
                case.redispatched_at = event.at
            elif action == "report_back" and case.handled_at is None:
                case.handled_at = event.at
                ended = [s for s in handles if s.ended_at == event.at]
                case.handled_on_time = ended[0].on_time if ended else (handles[0].on_time if handles else None)
            elif action in ("void", "merge") and case.voided_at is None:
                case.voided_at = event.at
            if action == "verify_fail" and case.reworked_at is None:
                case.reworked_at = event.at
            if action in VERIFY and case.verified_at is None:
                case.verified_at = event.at
                case.verified_by_id = event.actor_id
                ended = [s for s in verifies if s.ended_at == event.at]
                case.verified_on_time = ended[0].on_time if ended else None
        if handles:
            case.due_at = handles[0].deadline
        if case.status == "closed" and not case.self_handled:
            case.closed_on_time = not any(s.on_time is False for s in handles + verifies)
        batch.append(case)
        if len(batch) >= 500:
            Case.objects.bulk_update(batch, fields)
            batch = []
    if batch:
        Case.objects.bulk_update(batch, fields)


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_case_milestones")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
