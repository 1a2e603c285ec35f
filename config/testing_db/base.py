"""PostgreSQL backend for the test suite only (config/settings/test.py).

Transactional tests are isolated by flushing every table with TRUNCATE, which the audit
tables refuse (cases migration 0010). This backend's flush disables the refusing triggers for
the flush and enables them again, all in the flush's own transaction, as the owner of the
tables (the test database's role). It changes nothing else: a test that TRUNCATEs the audit
table itself is still refused, and production settings never name this backend.
"""

from django.db.backends.postgresql import base, operations

NO_TRUNCATE_TRIGGERS = {
    "cases_auditevent": "cases_auditevent_no_truncate",
    "cases_auditcheckpoint": "cases_auditcheckpoint_no_truncate",
}


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = super().sql_flush(
            style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        guarded = [(t, NO_TRUNCATE_TRIGGERS[t]) for t in tables if t in NO_TRUNCATE_TRIGGERS]
        if not statements or not guarded:
            return statements
        disable = [f"ALTER TABLE {t} DISABLE TRIGGER {trigger};" for t, trigger in guarded]
        enable = [f"ALTER TABLE {t} ENABLE TRIGGER {trigger};" for t, trigger in guarded]
        return [*disable, *statements, *enable]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
