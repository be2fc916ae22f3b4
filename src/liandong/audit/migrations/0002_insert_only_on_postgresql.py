"""On PostgreSQL the trail is insert-only: a trigger refuses every UPDATE and DELETE of an entry or
a link, whoever the role (docs/security.md adds the grants that keep the application's role from
even trying, and from TRUNCATE). SQLite, the single-machine default, relies on `audit verify`."""

from django.db import migrations

TABLES = ("audit_auditentry", "audit_auditlink")

FUNCTION = """
CREATE OR REPLACE FUNCTION liandong_audit_insert_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = '审计记录只能追加，不能修改或删除：' || TG_TABLE_NAME,
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_insert_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION liandong_audit_insert_only()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_insert_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS liandong_audit_insert_only()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
