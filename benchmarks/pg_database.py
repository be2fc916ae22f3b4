"""The PostgreSQL benchmarks' database: dropped and created fresh, migrated, with the defaults."""

from __future__ import annotations

import os


def fresh_database(default_name: str) -> str:
    """Recreate the database named by LIANDONG_BENCH_DATABASE_URL (or `default_name` on the local
    server), point Django at it, migrate it and load the default units and catalogue; its URL."""
    import psycopg

    url = bench_url(default_name)
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_defaults", verbosity=0)
    return url


def bench_url(default_name: str) -> str:
    """The benchmark database's URL: LIANDONG_BENCH_DATABASE_URL or `default_name` locally."""
    return os.environ.get(
        "LIANDONG_BENCH_DATABASE_URL", f"postgresql://postgres@127.0.0.1:5432/{default_name}"
    )


def setup_django(url: str) -> None:
    """Django on `url` (also in a worker process of the benchmark)."""
    os.environ["LIANDONG_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liandong.settings")
    import django

    django.setup()
