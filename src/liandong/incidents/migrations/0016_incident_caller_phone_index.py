# Repeat calls: an index on the caller's number (with the time received), so the office's
# repeat-call candidates find the same caller's recent incidents without a scan.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0015_anonymised_at_and_anonymised_event"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                fields=["caller_phone", "received_at"], name="incident_caller_phone"
            ),
        ),
    ]
