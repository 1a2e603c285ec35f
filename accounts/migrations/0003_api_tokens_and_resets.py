"""API tokens move to django-rest-knox, which stores only a digest of each token.

DRF's ``rest_framework.authtoken`` kept every token in plain text in ``authtoken_token``. The
app is no longer installed, so nothing else would remove that table: drop it here, with the
tokens in it (their users sign in again for a knox token). Not reversible: the old tokens
must not come back.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [
        migrations.RunSQL(
            sql="DROP TABLE IF EXISTS authtoken_token CASCADE;",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
