"""On PostgreSQL an entry's data is stored out of line without compression (STORAGE EXTERNAL):
the large values are the lists of event digests of a batch's entry (ADR 29), hexadecimal text
that compression barely shrinks but that took most of the time of writing the entry."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditentry ALTER COLUMN data SET STORAGE EXTERNAL")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE audit_auditentry ALTER COLUMN data SET STORAGE EXTENDED")


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_events_entries")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
