"""The `liandong` console command.

liandong demo      SQLite in ./liandong-data, default and demo data, server + worker in one process
liandong serve     the web server (waitress) for a configured installation
liandong worker    the background worker
liandong deadlines --level 2 --dispatched-at 2026-11-30T09:15:00+08:00 [--tier 1] [--role primary]
liandong <any Django management command>   e.g. migrate, createsuperuser, load_defaults
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liandong.settings")
    import django

    django.setup()


def _serve(host: str, port: int, threads: int) -> None:
    from waitress import serve

    from liandong.wsgi import application

    serve(application, host=host, port=port, threads=threads, ident="liandong")


def demo(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="liandong demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    os.environ.setdefault("LIANDONG_DEBUG", "1")
    started = time.monotonic()
    _django()
    from django.conf import settings
    from django.core.management import call_command

    from liandong.demo import DEMO_PASSWORD, create_demo_accounts, create_demo_incidents
    from liandong.worker.loop import run_forever

    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_defaults", verbosity=0)
    logins = create_demo_accounts()
    create_demo_incidents()
    stop = threading.Event()
    worker = threading.Thread(
        target=run_forever,
        kwargs={"interval": settings.LIANDONG_WORKER_INTERVAL, "stop": stop},
        name="liandong-worker",
        daemon=True,
    )
    worker.start()
    url = f"http://{args.host}:{args.port}/"
    print(
        f"\n联动 demo is ready in {time.monotonic() - started:.1f} s — data in {settings.DATA_DIR}"
    )
    print(f"  open     {url}")
    print(f"  API      {url}api/v1/docs")
    print(f"  admin    {url}admin/")
    print(f"  password for every demo login: {DEMO_PASSWORD}")
    for username, label in logins:
        print(f"    {username:<22} {label}")
    print("  Ctrl+C stops the server and the worker.\n", flush=True)
    try:
        _serve(args.host, args.port, threads=8)
    finally:
        stop.set()


def serve(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="liandong serve")
    parser.add_argument("--host", default=os.environ.get("LIANDONG_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("LIANDONG_PORT", "8000")))
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    _django()
    _serve(args.host, args.port, args.threads)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else "help"
    if command == "demo":
        demo(argv[1:])
    elif command == "serve":
        serve(argv[1:])
    elif command in ("-h", "--help", "help"):
        print(__doc__)
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liandong.settings")
        from django.core.management import execute_from_command_line

        execute_from_command_line(["liandong", *argv])


if __name__ == "__main__":
    main()
