"""Keys that are committed to this repository, for development and tests only.

Anyone who can read the repository knows them, so `manage.py check --deploy` refuses to start
with any of them (config.checks). Keep every committed key here, and only here.
"""

DEVELOPMENT_SECRET_KEY = "local-development-only-not-secret"  # noqa: S105
DEVELOPMENT_FIELD_ENCRYPTION_KEY = "Jm8ou0nF0r2cQ3ZbV7O1hX0b1Z4m8QmVb7Hc6N3sA1E="
DEVELOPMENT_BLIND_INDEX_KEY = "local-development-blind-index-key"
DEVELOPMENT_AUDIT_CHECKPOINT_KEY = "local-development-audit-checkpoint-key"

TEST_SECRET_KEY = "test-only-not-secret"  # noqa: S105
TEST_FIELD_ENCRYPTION_KEY = "vS4vH8qk3o8rQ3o6mJ2K4k5bP1y9tWZ8yN9c0mZl7sE="
TEST_BLIND_INDEX_KEY = "test-blind-index-key"
TEST_AUDIT_CHECKPOINT_KEY = "test-only-audit-checkpoint-key-not-secret"

COMMITTED_KEYS = frozenset(
    {
        DEVELOPMENT_SECRET_KEY,
        DEVELOPMENT_FIELD_ENCRYPTION_KEY,
        DEVELOPMENT_BLIND_INDEX_KEY,
        DEVELOPMENT_AUDIT_CHECKPOINT_KEY,
        TEST_SECRET_KEY,
        TEST_FIELD_ENCRYPTION_KEY,
        TEST_BLIND_INDEX_KEY,
        TEST_AUDIT_CHECKPOINT_KEY,
    }
)
