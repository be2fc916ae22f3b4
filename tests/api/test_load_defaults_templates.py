"""`liandong load_defaults` puts back the shipped message templates that are missing (a flushed
or hand-emptied table) and keeps the ones there, edited or not."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from liandong.notifications.defaults import DEFAULT_TEMPLATES
from liandong.notifications.models import MessageTemplate


@pytest.mark.django_db
def test_missing_templates_come_back_and_edited_ones_stay() -> None:
    kind, *others = list(DEFAULT_TEMPLATES)
    MessageTemplate.objects.filter(kind=kind).update(text="已改写的模板")
    MessageTemplate.objects.filter(kind__in=others).delete()
    call_command("load_defaults", verbosity=0)
    assert set(MessageTemplate.objects.values_list("kind", flat=True)) >= set(DEFAULT_TEMPLATES)
    assert MessageTemplate.objects.get(kind=kind).text == "已改写的模板"
