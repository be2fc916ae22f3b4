"""Queue every existing incident so its facts are built (by the worker, or the first statistic)."""

from django.db import migrations


def queue_all(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    StaleIncident = apps.get_model("stats", "StaleIncident")
    ids = Incident.objects.order_by("pk").values_list("pk", flat=True)
    StaleIncident.objects.bulk_create(
        (StaleIncident(incident_pk=pk) for pk in ids.iterator()), batch_size=5000
    )


class Migration(migrations.Migration):
    dependencies = [("stats", "0001_initial"), ("incidents", "0010_open_instruction_index")]

    operations = [migrations.RunPython(queue_all, migrations.RunPython.noop)]
