"""The shipped message templates (administrators edit them afterwards, with history)."""

from django.db import migrations


def create_templates(apps, schema_editor):
    from liandong.notifications.defaults import DEFAULT_TEMPLATES

    template = apps.get_model("notifications", "MessageTemplate")
    for kind, (label, external, title, text) in DEFAULT_TEMPLATES.items():
        template.objects.get_or_create(
            kind=kind, defaults={"label": label, "external": external, "title": title, "text": text}
        )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(create_templates, migrations.RunPython.noop)]
