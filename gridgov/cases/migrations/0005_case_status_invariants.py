"""What the case loop guarantees, kept by the database too: closed_at exactly when closed,
merged_into only when voided, parked_from and parked_at only when parked."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_idempotency_action"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="case",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("closed_at__isnull", False), ("status", "closed")),
                    models.Q(models.Q(("status", "closed"), _negated=True), ("closed_at__isnull", True)),
                    _connector="OR",
                ),
                name="case_closed_at_iff_closed",
            ),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.CheckConstraint(
                condition=models.Q(("merged_into__isnull", True), ("status", "voided"), _connector="OR"),
                name="case_merged_only_when_voided",
            ),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.CheckConstraint(
                condition=models.Q(("parked_from", ""), ("status", "parked"), _connector="OR"),
                name="case_parked_from_only_when_parked",
            ),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.CheckConstraint(
                condition=models.Q(("parked_at__isnull", True), ("status", "parked"), _connector="OR"),
                name="case_parked_at_only_when_parked",
            ),
        ),
    ]
