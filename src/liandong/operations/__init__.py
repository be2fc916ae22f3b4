"""Operations: backing up and restoring an installation (database and uploaded files).

archive.py   the tar archive: its manifest, file checksums, verification before anything changes
tables.py    row counts and checksums of every table, read through the vendor's own driver
database.py  the vendor-specific parts: SQLite online backup, pg_dump / pg_restore
backup.py    `liandong backup`
restore.py   `liandong restore`
"""
