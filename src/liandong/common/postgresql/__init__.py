"""The PostgreSQL database backend: Django's, reading moments with psycopg's C loader (ADR 30)."""
