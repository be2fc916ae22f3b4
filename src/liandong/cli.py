"""The `liandong` console command.

liandong demo      SQLite in ./liandong-data, default and demo data, server + worker in one process
liandong serve [--workers N --threads T]   the web server (gunicorn, a process per core)
liandong worker    the background worker
liandong deadlines --level 2 --dispatched-at 2026-11-30T09:15:00+08:00 [--tier 1] [--role primary]
liandong anonymise [--days N] [--dry-run]   the callers of incidents finished N days ago
liandong <any Django management command>   e.g. migrate, createsuperuser, load_defaults
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liandong.settings")
    import django

    django.setup()


def _serve(host: str, port: int, threads: int) -> None:
    """The demo's server: waitress, in this process, next to the worker and the simulated city
    threads (gunicorn would fork them away); also `serve` where gunicorn cannot run (Windows)."""
    from waitress import serve

    from liandong.incidents.upload_limits import MAX_BYTES_PER_INSTRUCTION
    from liandong.wsgi import application

    serve(
        application,
        host=host,
        port=port,
        threads=threads,
        ident="liandong",
        # No request body larger than the largest upload (plus its form) is even buffered.
        max_request_body_size=MAX_BYTES_PER_INSTRUCTION + 10 * 1024 * 1024,
        **_proxy_options(),
    )


def _proxy_options() -> dict[str, object]:
    """Behind a TLS proxy (LIANDONG_SECURE_PROXY_SSL_HEADER): waitress drops X-Forwarded-* headers
    from anyone but a trusted proxy, so trust the proxy's address (LIANDONG_TRUSTED_PROXY, default
    127.0.0.1) for the scheme and the client's address, and no one else."""
    from django.conf import settings

    if not getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        return {}
    return {
        "trusted_proxy": os.environ.get("LIANDONG_TRUSTED_PROXY", "127.0.0.1"),
        "trusted_proxy_headers": "x-forwarded-proto x-forwarded-for",
    }


def demo(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="liandong demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--city-rate", type=float, default=0.5, help="simulated city incidents per minute (0: none)"
    )
    parser.add_argument(
        "--no-autopilot", action="store_true", help="do not advance city incidents automatically"
    )
    parser.add_argument(
        "--autopilot-every", type=float, default=8.0, help="seconds between autopilot steps"
    )
    parser.add_argument(
        "--history-days",
        type=int,
        default=90,
        help="days of past history written on the first run, in the background (0: none)",
    )
    args = parser.parse_args(argv)
    if os.environ.get("LIANDONG_DATABASE_URL"):
        # The demo writes published passwords, a superuser and a city peer with a published
        # secret: never into a database that may be real.
        sys.exit(
            "liandong demo 只使用自带的 SQLite 演示数据库（$LIANDONG_HOME/liandong.sqlite3），"
            "不会写入其他数据库。请去掉环境变量 LIANDONG_DATABASE_URL 再运行；"
            "生产环境请用 liandong serve。"
        )
    os.environ.setdefault("LIANDONG_DEBUG", "1")
    # A trial on one machine with published passwords: no authenticator app asked for.
    os.environ.setdefault("LIANDONG_REQUIRE_SECOND_FACTOR", "0")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        # A demo shown to others on the network (--host 0.0.0.0) answers to whatever address
        # they use; production names its host names (LIANDONG_ALLOWED_HOSTS).
        os.environ.setdefault("LIANDONG_ALLOWED_HOSTS", "*")
    started = time.monotonic()
    _django()
    from django.conf import settings
    from django.core.management import call_command

    from liandong import demo as demo_data
    from liandong.citylink.simulator import run as run_city
    from liandong.demo_rosters import create_demo_rosters
    from liandong.worker.loop import run_forever

    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_defaults", verbosity=0)
    logins = demo_data.create_demo_accounts()
    create_demo_rosters()
    demo_data.create_demo_incidents()
    city_port = args.port + 1
    demo_data.configure_demo_city(f"http://127.0.0.1:{city_port}")
    stop = threading.Event()
    url = f"http://{args.host}:{args.port}/"
    threads = [
        threading.Thread(
            target=run_forever,
            kwargs={"interval": settings.LIANDONG_WORKER_INTERVAL, "stop": stop},
            name="liandong-worker",
        ),
        threading.Thread(
            target=run_city,
            kwargs={
                "district_url": f"http://127.0.0.1:{args.port}",
                "peer_id": demo_data.DEMO_CITY_PEER,
                "secret": demo_data.DEMO_CITY_SECRET,
                "listen": ("127.0.0.1", city_port),
                "district_peer_id": demo_data.DEMO_DISTRICT_PEER,
                "district_secret": demo_data.DEMO_DISTRICT_SECRET,
                "per_minute": args.city_rate,
                "duration": None,
                "report_every": 60.0,
                "stop": stop,
            },
            name="city-sim",
        ),
    ]
    if args.city_rate <= 0:
        # No built-in city: an external `liandong city-sim --listen 127.0.0.1:<port+1>` may play it.
        threads = threads[:1]
    if not args.no_autopilot:
        threads.append(
            threading.Thread(
                target=demo_data.run_autopilot,
                kwargs={"stop": stop, "interval": args.autopilot_every},
                name="demo-autopilot",
            )
        )
    for thread in threads:
        thread.daemon = True
        thread.start()
    history = None
    if args.history_days > 0 and not demo_data.has_history():
        # Its own process: the history moves its clock, which must not move the server's.
        history = subprocess.Popen(  # noqa: S603 - our own command
            [
                sys.executable,
                "-m",
                "liandong.cli",
                "seed-history",
                "--days",
                str(args.history_days),
            ],
            stdout=subprocess.DEVNULL,
        )
    print(
        f"\n联动 demo is ready in {time.monotonic() - started:.1f} s — data in {settings.DATA_DIR}"
    )
    print(f"  open     {url}")
    print(f"  API      {url}api/v1/docs")
    print(f"  admin    {url}admin/")
    print(
        f"  city     simulated city platform sends {args.city_rate:g} incident(s)/min; reports to :{city_port}"
    )
    print(f"  password for every demo login: {demo_data.DEMO_PASSWORD}")
    for username, label in logins:
        print(f"    {username:<22} {label}")
    if history is not None:
        print(
            f"  history  {args.history_days} days of past work are being written (about a minute)"
        )
    print("  Ctrl+C stops the server and the worker.\n", flush=True)
    try:
        _serve(args.host, args.port, threads=8)
    finally:
        stop.set()
        if history is not None and history.poll() is None:
            history.terminate()


def serve(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="liandong serve")
    parser.add_argument("--host", default=os.environ.get("LIANDONG_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("LIANDONG_PORT", "8000")))
    parser.add_argument(
        "--workers", type=int, default=None, help="server processes (default: one per core)"
    )
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per process (1: gunicorn's sync worker)"
    )
    args = parser.parse_args(argv)
    if (args.workers is not None and args.workers < 1) or args.threads < 1:
        parser.error("--workers and --threads must be at least 1")
    _django()
    refuse_development_keys()
    _run_server(args.host, args.port, args.workers, args.threads)


def _run_server(host: str, port: int, workers: int | None, threads: int) -> None:
    """gunicorn with `workers` processes (default: one per core), docs/adr/0019."""
    if sys.platform == "win32":  # gunicorn is for Unix: one waitress process instead
        print("liandong serve: Windows 上只能用单进程的 waitress（生产环境请用 Linux）", flush=True)
        _serve(host, port, threads)
        return
    from liandong import serving

    serving.run(host=host, port=port, workers=workers or serving.usable_cores(), threads=threads)


def refuse_development_keys() -> None:
    """Production never runs on the published development keys: without DEBUG, both keys must
    be set (LIANDONG_ALLOW_DEVELOPMENT_KEYS=1 lets a test or a trial on one machine through)."""
    from django.conf import settings

    if settings.DEBUG or os.environ.get("LIANDONG_ALLOW_DEVELOPMENT_KEYS") == "1":
        return
    missing = [
        f"{name}（{what}）"
        for name, what in (
            ("LIANDONG_SECRET_KEY", "会话和签名的密钥"),
            ("LIANDONG_SECRETS_KEY", "加密保存对接密钥和通知渠道口令的密钥"),
        )
        if not os.environ.get(name)
    ]
    if missing:
        sys.exit(
            "拒绝启动：生产环境不能使用公开的开发密钥，请设置环境变量 "
            + "、".join(missing)
            + "（各为一串足够长的随机字符，妥善保管；详见 README 的生产部署一节）。"
        )


def city_sim(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="liandong city-sim",
        description="Send signed incidents to a district and check the reports it sends back.",
    )
    parser.add_argument(
        "--district", default="http://127.0.0.1:8000", help="the district's base URL"
    )
    parser.add_argument("--peer-id", default="shenyang-city", help="the city's peer id (X-Peer-Id)")
    parser.add_argument(
        "--secret", required=True, help="the city's secret (the district's inbound key)"
    )
    parser.add_argument("--district-peer-id", default="yuhong-district")
    parser.add_argument(
        "--district-secret", help="the district's outbound key, to check report signatures"
    )
    parser.add_argument(
        "--listen", default="127.0.0.1:8001", help="where to receive reports (host:port), or 'none'"
    )
    parser.add_argument("--rate", type=float, default=6.0, help="incidents per minute")
    parser.add_argument(
        "--duration", type=float, default=None, help="seconds to run (default: until Ctrl+C)"
    )
    args = parser.parse_args(argv)
    from liandong.citylink.simulator import run

    listen = None
    if args.listen != "none":
        if not args.district_secret:
            parser.error("--district-secret is needed to check the reports (or --listen none)")
        host, _, port = args.listen.rpartition(":")
        listen = (host or "127.0.0.1", int(port))
    try:
        stats = run(
            district_url=args.district,
            peer_id=args.peer_id,
            secret=args.secret,
            listen=listen,
            district_peer_id=args.district_peer_id,
            district_secret=args.district_secret or "",
            per_minute=args.rate,
            duration=args.duration,
        )
    except KeyboardInterrupt:
        return
    if stats is not None and not stats.clean:
        sys.exit(1)


def seed_history(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="liandong seed-history")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--per-day", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    _django()
    from liandong.demo_history import seed_history as seed

    started = time.monotonic()
    made = seed(days=args.days, per_day=args.per_day, seed=args.seed)
    print(f"{made} incidents over {args.days} days in {time.monotonic() - started:.0f} s")


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else "help"
    if command == "demo":
        demo(argv[1:])
    elif command == "serve":
        serve(argv[1:])
    elif command == "city-sim":
        city_sim(argv[1:])
    elif command == "seed-history":
        seed_history(argv[1:])
    elif command in ("-h", "--help", "help"):
        print(__doc__)
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liandong.settings")
        from django.core.management import execute_from_command_line

        # The triage commands are spelt with a hyphen, like the others of this file.
        command = {"triage-eval": "triage_eval", "triage-train": "triage_train"}.get(
            command, command
        )
        execute_from_command_line(["liandong", command, *argv[1:]])


if __name__ == "__main__":
    main()
