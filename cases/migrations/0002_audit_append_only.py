from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION harbour_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'cases_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER cases_auditevent_append_only
    BEFORE UPDATE OR DELETE ON cases_auditevent
    FOR EACH ROW EXECUTE FUNCTION harbour_audit_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS cases_auditevent_append_only ON cases_auditevent;
DROP FUNCTION IF EXISTS harbour_audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
