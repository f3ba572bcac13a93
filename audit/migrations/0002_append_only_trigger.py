"""On PostgreSQL, the database itself refuses to change or delete an audit entry, whatever
the code (or a person at psql as the application's user) tries. SQLite: nothing here."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_entries_are_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only: %% refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entries_are_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_entries_are_append_only();
"""


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
