"""`python benchmarks/intake_floor/serve.py PORT WORKERS THREADS`: the floor under gunicorn with
exactly the options `liandong serve` uses (liandong.serving.options), only the application differs."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "intake_floor.settings"

import django  # noqa: E402

django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connections  # noqa: E402

from liandong import serving  # noqa: E402


class FloorServer(serving.LiandongServer):
    def load(self) -> serving.WSGIApp:
        app = get_wsgi_application()
        connections.close_all()
        return app


if __name__ == "__main__":
    port, workers, threads = (int(a) for a in sys.argv[1:4])
    options = serving.options(host="127.0.0.1", port=port, workers=workers, threads=threads)
    options["proc_name"] = "intake-floor"
    FloorServer(options).run()
