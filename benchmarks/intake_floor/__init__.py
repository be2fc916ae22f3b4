"""The intake benchmark's floor (benchmarks/intake.py): a minimal Django application whose one view
commits one ~1 KB row, served by the same gunicorn stack as `liandong serve` (serve.py)."""
