"""Test settings: PostgreSQL (embedded or DATABASE_URL), Redis (embedded or REDIS_URL)."""

from config.embedded import embedded_database, embedded_redis_url

from .base import *  # noqa: F403
from .base import VAR_DIR, database_from_url, env
from .committed_keys import (
    TEST_AUDIT_CHECKPOINT_KEY,
    TEST_BLIND_INDEX_KEY,
    TEST_FIELD_ENCRYPTION_KEY,
    TEST_SECRET_KEY,
)

DEBUG = False
SECRET_KEY = TEST_SECRET_KEY
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

FIELD_ENCRYPTION_KEYS = [TEST_FIELD_ENCRYPTION_KEY]
BLIND_INDEX_KEY = TEST_BLIND_INDEX_KEY

if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": database_from_url()}
else:
    DATABASES = {"default": embedded_database(VAR_DIR)}

REDIS_URL = env.str("REDIS_URL", default="") or embedded_redis_url(VAR_DIR)
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
# Tasks run in-process unless a test starts a real worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("HARBOUR_CELERY_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "test-media"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Static files come from the finders; no collectstatic before tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
RESEARCH_EXTRACT_DIR = VAR_DIR / "test-extracts"
HARBOUR_IMPORT_DIR = VAR_DIR / "test-imports"

# Audit trail (issue 12 §3): the test-only backend lets the suite's flushes TRUNCATE the
# append-only audit tables (config/testing_db/base.py); the triggers stay on for every test.
DATABASES["default"]["ENGINE"] = "config.testing_db"
# Research reads (issue 16 §6): a "research" alias that mirrors default (the test runner creates
# no database for it) and that nothing uses unless a test routes research reads to it with
# override_settings(RESEARCH_DATABASE_ALIAS="research") (tests/research_exports/test_replica.py).
DATABASES["research"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
RESEARCH_DATABASE_ALIAS = "default"
HARBOUR_AUDIT_CHECKPOINT_KEY = TEST_AUDIT_CHECKPOINT_KEY
# The suite connects as the tables' owner (one role); the role split's check is tested against
# a real application role created in the test database (tests/test_db_roles.py).
HARBOUR_DATABASE_ROLE_CHECK = False
