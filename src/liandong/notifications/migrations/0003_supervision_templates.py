"""Message templates for the supervision orders (added with issue 9)."""

from django.db import migrations


def create_templates(apps, schema_editor):
    from liandong.notifications.defaults import DEFAULT_TEMPLATES

    template = apps.get_model("notifications", "MessageTemplate")
    for kind, (label, external, title, text) in DEFAULT_TEMPLATES.items():
        template.objects.get_or_create(
            kind=kind, defaults={"label": label, "external": external, "title": title, "text": text}
        )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_default_templates")]

    operations = [migrations.RunPython(create_templates, migrations.RunPython.noop)]
