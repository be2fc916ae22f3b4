"""A fresh SQLite installation for a benchmark: a temporary LIANDONG_HOME, Django set up, the
migrations applied and the default data loaded (never the database of LIANDONG_DATABASE_URL)."""

from __future__ import annotations

import os
import tempfile


def fresh_installation() -> None:
    os.environ["LIANDONG_HOME"] = tempfile.mkdtemp(prefix="liandong-bench-")
    os.environ.pop("LIANDONG_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liandong.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    call_command("load_defaults", verbosity=0)
