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
ALLOWED_HOSTS = [h for h in os.environ.get("LIANDONG_ALLOWED_HOSTS", "*").split(",") if h]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("LIANDONG_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.admin",
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
    "liandong.web",
    "liandong.worker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "liandong.api.middleware.ApiErrorBodyMiddleware",
]

ROOT_URLCONF = "liandong.urls"
WSGI_APPLICATION = "liandong.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
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
# Uploaded attachments (photos, scanned documents): at most 20 MiB each.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
LIANDONG_MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LIANDONG_LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}

# How often the background worker looks for work, in seconds.
LIANDONG_WORKER_INTERVAL = float(os.environ.get("LIANDONG_WORKER_INTERVAL", "5"))

# The covering index of deadlines (INCLUDE columns) is for PostgreSQL; SQLite builds it without
# them, which is fine for the embedded default.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
