"""Overrides stored before every form shared the API's window (incidents/parsing.py) may end
in year 10000 (9999-12-31 at -12:00 is 10000-01-01 in UTC): Python cannot read such a row, so
every page of the team failed and the override could not even be deleted. PostgreSQL can
still read them: bring them back inside the window. An override reaching past 2199 meant
"for ever"; it still does, for all practical purposes."""

from __future__ import annotations

from django.db import migrations

CLAMP = """
UPDATE oncall_override SET "start" = LEAST("start", TIMESTAMPTZ '2199-12-30 00:00:00+00'),
                           "end" = LEAST("end", TIMESTAMPTZ '2199-12-31 00:00:00+00')
 WHERE "end" > TIMESTAMPTZ '2199-12-31 00:00:00+00';
DELETE FROM oncall_override WHERE "end" <= TIMESTAMPTZ '1970-01-01 00:00:00+00';
UPDATE oncall_override SET "start" = TIMESTAMPTZ '1970-01-01 00:00:00+00'
 WHERE "start" < TIMESTAMPTZ '1970-01-01 00:00:00+00';
"""


def clamp(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":  # SQLite stores what Python wrote
        schema_editor.execute(CLAMP)


class Migration(migrations.Migration):
    dependencies = [("oncall", "0001_initial")]

    operations = [migrations.RunPython(clamp, migrations.RunPython.noop)]
