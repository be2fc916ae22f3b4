"""Settings of the floor: no middleware, one app, the benchmark's PostgreSQL database."""

import os

import dj_database_url

SECRET_KEY = "intake-floor-benchmark-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["intake_floor"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "intake_floor.views"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ["LIANDONG_DATABASE_URL"], conn_max_age=60, conn_health_checks=True
    )
}
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
