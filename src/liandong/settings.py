"""Django settings. Everything that differs between installations comes from LIANDONG_* environment
variables; the defaults give a working single-machine installation on SQLite."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("LIANDONG_HOME", Path.cwd() / "liandong-data")).resolve()

DEBUG = os.environ.get("LIANDONG_DEBUG", "0") == "1"
SECRET_KEY = os.environ.get("LIANDONG_SECRET_KEY", "")
if not SECRET_KEY:
    # Development and demo only: production must set LIANDONG_SECRET_KEY (see README).
    SECRET_KEY = "liandong-insecure-development-key-change-me"
# The host names the server answers to (comma-separated). The default serves this machine only;
# production names its own, e.g. LIANDONG_ALLOWED_HOSTS=liandong.yuhong.gov.cn
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("LIANDONG_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("LIANDONG_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "liandong.accounts.admin_site.LiandongAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "ninja",
    "liandong.accounts",
    "liandong.units",
    "liandong.sla",
    "liandong.rosters",
    "liandong.incidents",
    "liandong.outbox",
    "liandong.citylink",
    "liandong.notifications",
    "liandong.supervision",
    "liandong.geography",
    "liandong.stats",
    "liandong.assessment",
    "liandong.audit",
    "liandong.triage",
    "liandong.web",
    "liandong.worker",
    "liandong.operations",
]

MIDDLEWARE = [
    "liandong.web.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "liandong.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "liandong.web.session_idle.SessionIdleMiddleware",
    "liandong.web.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "liandong.api.middleware.ApiErrorBodyMiddleware",
]

ROOT_URLCONF = "liandong.urls"
WSGI_APPLICATION = "liandong.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
#: Django's model backend, with the user's unit read in the same query (accounts/backends.py)
AUTHENTICATION_BACKENDS = ["liandong.accounts.backends.UserWithUnitBackend"]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "liandong.web.inbox.bell",
                "liandong.web.formstate.form_state",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    url = os.environ.get("LIANDONG_DATABASE_URL", "")
    if url:
        config = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
        if str(config["ENGINE"]).endswith("postgresql"):
            # Django's backend, reading moments with psycopg's C loader (ADR 30).
            config["ENGINE"] = "liandong.common.postgresql"
            # JIT compilation costs ~100 ms per grouped query here and never pays back on the
            # statistics' month-sized scans (benchmarks/stats.py); off for our sessions only.
            # Random reads priced for solid-state storage (PostgreSQL's default 4 assumes
            # spinning disks and seq-scans a million instructions to join ten thousand of them);
            # LIANDONG_PG_RANDOM_PAGE_COST=4 restores it on such disks.
            cost = float(os.environ.get("LIANDONG_PG_RANDOM_PAGE_COST", "1.1"))
            options = dict(config.get("OPTIONS") or {})  # type: ignore[call-overload]
            session = f"-c jit=off -c random_page_cost={cost:g}"
            options["options"] = f"{options.get('options', '')} {session}".strip()
            config["OPTIONS"] = options
        return config
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "liandong.sqlite3",
        # Tests use a file too (one per xdist worker), not the in-memory shared cache: there a
        # browser test's server thread and the test's own writes hit table locks that no busy
        # timeout waits out ("database table is locked").
        "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        "OPTIONS": {
            # BEGIN IMMEDIATE: writers queue for the lock instead of failing on upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            ),
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("LIANDONG_MEDIA_ROOT", DATA_DIR / "media"))
WHITENOISE_USE_FINDERS = True
# Uploaded attachments (photos, scanned documents): at most 20 MiB each, refused on the upload
# views before they are read (incidents/upload_handler.py); other limits: incidents/upload_limits.py
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
LIANDONG_MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "liandong.incidents.upload_handler.AttachmentUploadLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "liandong.audit.logformat.JsonFormatter"},
    },
    # JSON lines (with the request id) unless LIANDONG_LOG_FORMAT=plain; plain under DEBUG.
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": os.environ.get("LIANDONG_LOG_FORMAT", "plain" if DEBUG else "json"),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LIANDONG_LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}

# --- Transport security (docs/security-settings.md) ---------------------------------------------
# Behind a TLS-terminating reverse proxy: the header (and value) by which the proxy says the
# original request was HTTPS, e.g. "X-Forwarded-Proto: https" ("1" is short for exactly that). Set
# it only when the proxy always overwrites that header: a client could otherwise claim HTTPS.
_proxy_header = os.environ.get("LIANDONG_SECURE_PROXY_SSL_HEADER", "").strip()
if _proxy_header == "1":
    _proxy_header = "X-Forwarded-Proto: https"
if _proxy_header:
    _name, _, _value = _proxy_header.replace("=", ":", 1).partition(":")
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _name.strip().upper().replace("-", "_"),
        _value.strip() or "https",
    )


def _flag(name: str) -> bool | None:
    """An on/off setting: True for 1, False for 0, None when the operator has not said."""
    value = os.environ.get(name, "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return None


# Served over HTTPS only (LIANDONG_HTTPS=1): cookies only over TLS, HTTP redirected to HTTPS
# (except /healthz and /readyz, for local probes), and browsers told to use HTTPS (HSTS).
LIANDONG_HTTPS = _flag("LIANDONG_HTTPS") is True
_ssl_redirect = _flag("LIANDONG_SSL_REDIRECT")
_hsts_subdomains = _flag("LIANDONG_HSTS_INCLUDE_SUBDOMAINS")
_hsts_preload = _flag("LIANDONG_HSTS_PRELOAD")
_hsts_seconds = os.environ.get("LIANDONG_HSTS_SECONDS", "").strip()
SESSION_COOKIE_SECURE = LIANDONG_HTTPS
CSRF_COOKIE_SECURE = LIANDONG_HTTPS
SECURE_SSL_REDIRECT = LIANDONG_HTTPS and _ssl_redirect is not False
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = (int(_hsts_seconds) if _hsts_seconds else 31536000) if LIANDONG_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _hsts_subdomains is True
SECURE_HSTS_PRELOAD = _hsts_preload is True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A deployment check that cannot apply is silenced only when the operator has said why, by
# setting the switch that makes it not apply (docs/security-settings.md):
_not_applicable = {
    # the TLS proxy itself redirects HTTP to HTTPS
    "security.W008": LIANDONG_HTTPS and _ssl_redirect is False,
    # the TLS proxy itself sends Strict-Transport-Security
    "security.W004": LIANDONG_HTTPS and _hsts_seconds == "0",
    # other host names under this domain are still served over plain HTTP
    "security.W005": _hsts_subdomains is False,
    # an intranet name that cannot be on the browsers' public HSTS preload list
    "security.W021": _hsts_preload is False,
}

# --- Sessions: signed out after LIANDONG_SESSION_IDLE_MINUTES without a request of the person's
# own (the pages' background polling does not count), and LIANDONG_SESSION_MAX_HOURS after signing
# in at the latest; the cookie ends with the browser (liandong.web.session_idle).
LIANDONG_SESSION_IDLE_MINUTES = float(os.environ.get("LIANDONG_SESSION_IDLE_MINUTES", "30"))
LIANDONG_SESSION_MAX_HOURS = float(os.environ.get("LIANDONG_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = int(LIANDONG_SESSION_MAX_HOURS * 3600) or 14 * 24 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Content-Security-Policy on every response (liandong.web.csp): scripts only from the
# installation's own files, never inline. Styles allow inline attributes (the templates and
# ECharts' tooltips set style="..."); images and fonts may be data: URLs (ECharts, Swagger UI).
LIANDONG_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)

# How often the background worker looks for work, in seconds.
LIANDONG_WORKER_INTERVAL = float(os.environ.get("LIANDONG_WORKER_INTERVAL", "5"))
# How much lower than the web server the worker's rounds (deliveries, statistics, the audit seal)
# run, as a nice increment (0: the same priority; the deadline watch always keeps the server's).
LIANDONG_WORKER_NICE = int(os.environ.get("LIANDONG_WORKER_NICE", "10"))
# How many notifications (SMS, group robots, e-mail) one worker sends at once (1: one at a time).
LIANDONG_NOTIFY_CONCURRENCY = int(os.environ.get("LIANDONG_NOTIFY_CONCURRENCY", "8"))
# How many city reports one worker sends at once, each of a different incident: one incident's
# reports always go one after the other, in sequence (1: one report at a time).
LIANDONG_REPORT_CONCURRENCY = int(os.environ.get("LIANDONG_REPORT_CONCURRENCY", "4"))

# The covering index of deadlines (INCLUDE columns) is for PostgreSQL; SQLite builds it without
# them, which is fine for the embedded default.
SILENCED_SYSTEM_CHECKS = [
    "models.W040",
    *(c for c, silenced in _not_applicable.items() if silenced),
]

# The audit trail's hash: "sha256", or "sm3" where the installation chooses the national algorithm.
LIANDONG_AUDIT_HASH = os.environ.get("LIANDONG_AUDIT_HASH", "sha256")

# Personal data: a finished incident's caller name and phone are anonymised this many days after
# it ended (0: never).
LIANDONG_ANONYMISE_AFTER_DAYS = int(os.environ.get("LIANDONG_ANONYMISE_AFTER_DAYS", "365"))
# The second factor (TOTP) at sign-in, required for administrators and the office (accounts/
# second_factor.py). Only a trial installation turns it off (`liandong demo` does).
LIANDONG_REQUIRE_SECOND_FACTOR = os.environ.get("LIANDONG_REQUIRE_SECOND_FACTOR", "1") == "1"
# Repeat calls (incidents/repeats.py): open incidents received within this many hours are offered.
LIANDONG_REPEAT_WINDOW_HOURS = float(os.environ.get("LIANDONG_REPEAT_WINDOW_HOURS", "24"))
# The triage model: retrained every N days (0: only on demand) when the office has confirmed at
# least MIN new decisions since the last version (triage/services.py).
LIANDONG_TRIAGE_RETRAIN_DAYS = int(os.environ.get("LIANDONG_TRIAGE_RETRAIN_DAYS", "7"))
LIANDONG_TRIAGE_RETRAIN_MIN = int(os.environ.get("LIANDONG_TRIAGE_RETRAIN_MIN", "50"))
