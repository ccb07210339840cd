"""PostgreSQL refuses two active appointments in one room whose times overlap (end exclusive).

SQLite has no exclusion constraints; there the booking service's check runs inside an
IMMEDIATE transaction, which serialises writers. The model state is unchanged, so this
migration is plain SQL on PostgreSQL only.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE checklists_appointment ADD CONSTRAINT appointment_no_room_overlap
    EXCLUDE USING gist (room_id WITH =, tstzrange("start", "end", '[)') WITH &&) WHERE (is_active);
"""
DROP = "ALTER TABLE checklists_appointment DROP CONSTRAINT IF EXISTS appointment_no_room_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("checklists", "0003_access_log")]

    operations = [migrations.RunPython(forwards, backwards)]
