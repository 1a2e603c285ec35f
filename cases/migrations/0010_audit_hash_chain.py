"""The audit trail becomes tamper-evident: TRUNCATE refused, every row hash-chained.

TRUNCATE of ``cases_auditevent`` (and of ``cases_auditcheckpoint``) is refused by a
statement-level trigger, as UPDATE and DELETE of a row already are (0002). There is no
setting that lets TRUNCATE through. An operator with a genuine need (retention of old rows)
must not truncate or disable the triggers: retention goes only through the audited
``manage.py audit_retention --before YYYY-MM-DD --confirm`` (migration 0011), run as the
owner role, which records ``AuditAction.AUDIT_RETENTION_APPLIED`` in the trail itself and a
signed anchor with the hash where the kept chain starts. Only the owner of the table can
disable these triggers; the application connects as a role that owns nothing
(``manage.py grant_app_role``).

The test suite's own flushes (TRUNCATE between transactional tests) go through a test-only
database backend (``config/testing_db``) that disables the trigger for the flush, as the owner,
and enables it again in the same transaction; production settings never use it.

Existing rows are chained in id order (``cases/audit_chain.py`` defines the canonical content).
"""

import json

from django.db import migrations, models
from django.utils import timezone

TRUNCATE_FORWARD = """
CREATE OR REPLACE FUNCTION harbour_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: TRUNCATE refused (use the audited retention command)',
        TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER cases_auditevent_no_truncate
    BEFORE TRUNCATE ON cases_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION harbour_audit_no_truncate();

CREATE TRIGGER cases_auditcheckpoint_append_only
    BEFORE UPDATE OR DELETE ON cases_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION harbour_audit_append_only();

CREATE TRIGGER cases_auditcheckpoint_no_truncate
    BEFORE TRUNCATE ON cases_auditcheckpoint
    FOR EACH STATEMENT EXECUTE FUNCTION harbour_audit_no_truncate();
"""

TRUNCATE_BACKWARD = """
DROP TRIGGER IF EXISTS cases_auditcheckpoint_no_truncate ON cases_auditcheckpoint;
DROP TRIGGER IF EXISTS cases_auditcheckpoint_append_only ON cases_auditcheckpoint;
DROP TRIGGER IF EXISTS cases_auditevent_no_truncate ON cases_auditevent;
DROP FUNCTION IF EXISTS harbour_audit_no_truncate();
"""


def chain_existing_rows(apps, schema_editor):
    from cases import audit_chain

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [audit_chain.CHAIN_LOCK_KEY])
        # The owner running the migration lifts the append-only rule for this backfill only,
        # in this transaction; a failure rolls the ALTER back with it.
        cursor.execute("ALTER TABLE cases_auditevent DISABLE TRIGGER cases_auditevent_append_only")
        columns = ", ".join(["id", *audit_chain.CHAINED_FIELDS])
        cursor.execute(f"SELECT {columns} FROM cases_auditevent ORDER BY id")  # noqa: S608
        rows = cursor.fetchall()
        prev = audit_chain.GENESIS_HASH
        updates = []
        for seq, (event_id, *values) in enumerate(rows, start=1):
            fields = dict(zip(audit_chain.CHAINED_FIELDS, values, strict=True))
            if isinstance(fields["detail"], str):
                fields["detail"] = json.loads(fields["detail"])
            digest = audit_chain.row_hash(seq=seq, prev_hash=prev, fields=fields)
            updates.append([seq, prev, digest, event_id])
            prev = digest
        cursor.executemany(
            "UPDATE cases_auditevent SET seq = %s, prev_hash = %s, row_hash = %s WHERE id = %s",
            updates,
        )
        cursor.execute("ALTER TABLE cases_auditevent ENABLE TRIGGER cases_auditevent_append_only")


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_security_and_release_audit_actions")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="row_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="row_hash",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("signed_at", models.DateTimeField(default=timezone.now)),
                ("seq", models.BigIntegerField()),
                ("row_hash", models.CharField(max_length=64)),
                ("mac", models.CharField(max_length=64)),
            ],
            options={"ordering": ["-seq", "-id"]},
        ),
        migrations.RunSQL(TRUNCATE_FORWARD, TRUNCATE_BACKWARD),
    ]
