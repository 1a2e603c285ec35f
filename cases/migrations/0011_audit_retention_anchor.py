"""Retention anchors: where the kept audit chain starts after `manage.py audit_retention`.

The only supported way to remove old audit rows is

    manage.py audit_retention --before YYYY-MM-DD --confirm

run as the owner role of the tables (the migration role, `DATABASE_MIGRATE_URL`; the
application's role owns nothing and cannot lift the triggers). In one transaction it verifies
the trail, disables the append-only trigger, deletes the rows older than the date (a prefix of
the chain), enables the trigger again, stores a retention anchor (`kind = "anchor"`: the last
removed seq and its hash, signed with HARBOUR_AUDIT_CHECKPOINT_KEY in a MAC domain of its
own) and writes an `audit_retention_applied` row with the counts. `verify_audit` then walks the
chain from the latest genuine anchor; rows removed in any other way are still found.

Existing checkpoints are of kind "checkpoint" (the column's default; no row is updated).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0010_audit_hash_chain'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditcheckpoint',
            name='kind',
            field=models.CharField(choices=[('checkpoint', 'Checkpoint'), ('anchor', 'Retention anchor')], default='checkpoint', max_length=16),
        ),
    ]
