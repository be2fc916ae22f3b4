"""`liandong serve`: the WSGI application under gunicorn, one process per core (docs/adr/0019).

gunicorn runs in this process (no configuration file, no second command line): the arbiter loads
the application once, closes the database connections the loading opened, and forks the workers.
Behind a TLS proxy it behaves as waitress did before: X-Forwarded-Proto and X-Forwarded-For count
only from LIANDONG_TRUSTED_PROXY and are removed from anyone else's request (TrustedProxyHeaders).
"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.app.base import BaseApplication

from liandong.common.startup import freeze_loaded_objects

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: The proxy headers a client could use to claim another address, host or scheme.
FORWARDED_FAMILY = (
    "HTTP_FORWARDED",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_BY",
)
TRUSTED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO")

#: A worker busy this long on one request is restarted (gthread: its main loop, not a request).
TIMEOUT_SECONDS = 120
#: On SIGTERM the workers finish the requests in hand for at most this long.
GRACEFUL_TIMEOUT_SECONDS = 30


def usable_cores() -> int:
    """The cores this process may run on (a container's CPU set included)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def max_body_bytes() -> int:
    """No request body larger than the largest upload (plus its form) is read at all."""
    from liandong.incidents.upload_limits import MAX_BYTES_PER_INSTRUCTION

    return MAX_BYTES_PER_INSTRUCTION + 10 * 1024 * 1024


def trusted_proxies() -> list[str] | None:
    """The proxy addresses (or networks) trusted for the scheme and the client's address, or None
    when the installation is not behind a TLS proxy (LIANDONG_SECURE_PROXY_SSL_HEADER unset)."""
    from django.conf import settings

    if not getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        return None
    value = os.environ.get("LIANDONG_TRUSTED_PROXY", "127.0.0.1")
    return [a.strip() for a in value.split(",") if a.strip()]


def proxy_options() -> dict[str, object]:
    """gunicorn's own view of the proxy: wsgi.url_scheme is https only when the trusted proxy says
    so in the header Django reads (SECURE_PROXY_SSL_HEADER); without a proxy, from nobody."""
    from django.conf import settings

    proxies = trusted_proxies()
    if proxies is None:
        return {"forwarded_allow_ips": "", "secure_scheme_headers": {}, "forwarder_headers": ""}
    meta_name, value = settings.SECURE_PROXY_SSL_HEADER
    header = meta_name.removeprefix("HTTP_").replace("_", "-")
    return {
        "forwarded_allow_ips": ",".join(proxies),
        "secure_scheme_headers": {header: value},
        "forwarder_headers": "",
    }


class TrustedProxyHeaders:
    """Waitress's trusted_proxy in WSGI: from the trusted proxy, X-Forwarded-For (its last address)
    becomes REMOTE_ADDR and X-Forwarded-Proto is kept; from anyone else both are removed, so Django
    (SECURE_PROXY_SSL_HEADER, the sign-in throttle, the audit trail) never sees a client's claim.
    The other forwarding headers are removed from everyone. Bodies above `max_body` get 413 before
    they are read (Django's upload handler remains the limit of each upload)."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        proxies: list[str] | None,
        ssl_header: str | None,
        max_body: int,
    ) -> None:
        self.app = app
        self.any_proxy = proxies is not None and "*" in proxies
        self.networks = [ipaddress.ip_network(p, strict=False) for p in proxies or () if p != "*"]
        extra = (ssl_header,) if ssl_header and ssl_header not in FORWARDED_FAMILY else ()
        self.strip = (*FORWARDED_FAMILY, *extra)
        self.trusted_headers = (*TRUSTED_HEADERS, *extra) if proxies is not None else ()
        self.max_body = max_body

    def _from_proxy(self, peer: str) -> bool:
        if self.any_proxy:
            return True
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        trusted = bool(self.trusted_headers) and self._from_proxy(environ.get("REMOTE_ADDR", ""))
        for name in self.strip:
            if not (trusted and name in self.trusted_headers):
                environ.pop(name, None)
        if trusted and environ.get("HTTP_X_FORWARDED_FOR"):
            client = environ["HTTP_X_FORWARDED_FOR"].split(",")[-1].strip()
            with contextlib.suppress(ValueError):  # not an address: the proxy's own stays
                environ["REMOTE_ADDR"] = str(ipaddress.ip_address(client))
        length = environ.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > self.max_body:
            start_response(
                "413 Request Entity Too Large",
                [("Content-Type", "text/plain; charset=utf-8"), ("Connection", "close")],
            )
            return ["请求内容过大。".encode()]
        return self.app(environ, start_response)


def wrapped_application() -> WSGIApp:
    from django.conf import settings

    from liandong.wsgi import application

    ssl_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    return TrustedProxyHeaders(
        application,
        proxies=trusted_proxies(),
        ssl_header=ssl_header[0] if ssl_header else None,
        max_body=max_body_bytes(),
    )


def _die_with_the_arbiter(server: Any, worker: Any) -> None:
    """gunicorn's post_fork: on Linux, a worker gets SIGTERM when its arbiter dies (even by
    SIGKILL), so no worker outlives it holding the port and the database."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != server.pid:  # the arbiter died before prctl
            os.kill(os.getpid(), signal.SIGTERM)


class LiandongServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, object]) -> None:
        self.options = options
        super().__init__(prog="liandong serve")

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # an older gunicorn may not know a newer setting
                self.cfg.set(key, value)

    def load(self) -> WSGIApp:
        from django.db import connections

        from liandong.triage.selectors import shipped_model

        app = wrapped_application()
        # The shipped triage model is trained from its examples once, here in the arbiter, so the
        # forks share it and no office request (the dispatch records its proposal) waits seconds.
        shipped_model()
        # Preloaded in the arbiter: a connection opened meanwhile must not be shared by the forks.
        connections.close_all()
        # What is loaded now lives as long as the process (the forks share it).
        freeze_loaded_objects()
        return app


def options(*, host: str, port: int, workers: int, threads: int) -> dict[str, object]:
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return {
        "bind": [bind],
        "workers": workers,
        # threads > 1: gthread (slow clients, keep-alive, database waits); 1: the sync worker
        "worker_class": "gthread" if threads > 1 else "sync",
        "threads": threads,
        "timeout": TIMEOUT_SECONDS,
        "graceful_timeout": GRACEFUL_TIMEOUT_SECONDS,
        "keepalive": 5,
        "preload_app": True,
        "post_fork": _die_with_the_arbiter,
        "proc_name": "liandong",
        # Access is logged by the TLS proxy; gunicorn's own messages go to stderr.
        "accesslog": None,
        "errorlog": "-",
        "loglevel": os.environ.get("LIANDONG_LOG_LEVEL", "INFO").lower(),
        # No runtime management socket in $HOME (gunicorn >= 25.1): stop and restart the service.
        "control_socket_disable": True,
        **proxy_options(),
    }


def _forget_worker_metrics(server: Any, worker: Any) -> None:
    """gunicorn's child_exit: a gone process's gauges leave the totals (multiprocess mode)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def run(*, host: str, port: int, workers: int, threads: int) -> None:
    # The processes add up their metrics in files (prometheus_client's multiprocess mode): a fresh
    # folder per start, set before anything imports prometheus_client.
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="liandong-metrics-")
    settings_ = options(host=host, port=port, workers=workers, threads=threads)
    settings_["child_exit"] = _forget_worker_metrics
    LiandongServer(settings_).run()
