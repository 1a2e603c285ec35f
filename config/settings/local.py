"""Development settings: `make run`. Embedded PostgreSQL and Redis when no URL is configured."""

from config.embedded import embedded_database, embedded_redis_url

from .base import *  # noqa: F403
from .base import RESEARCH_DATABASE_URL, VAR_DIR, database_from_url, env, research_database
from .committed_keys import (
    DEVELOPMENT_AUDIT_CHECKPOINT_KEY,
    DEVELOPMENT_BLIND_INDEX_KEY,
    DEVELOPMENT_FIELD_ENCRYPTION_KEY,
    DEVELOPMENT_SECRET_KEY,
)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

# Development-only keys (never used in production, which has no defaults).
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS", default=[DEVELOPMENT_FIELD_ENCRYPTION_KEY]
)
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY", default=DEVELOPMENT_BLIND_INDEX_KEY)
HARBOUR_AUDIT_CHECKPOINT_KEY = env.str(
    "HARBOUR_AUDIT_CHECKPOINT_KEY", default=DEVELOPMENT_AUDIT_CHECKPOINT_KEY
)

if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": database_from_url()}
else:
    # As the owner role, like migrations; `make run` serves as the application's role.
    DATABASES = {"default": embedded_database(VAR_DIR, roles=True)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if RESEARCH_DATABASE_URL:
    DATABASES["research"] = research_database(DATABASES["default"])

REDIS_URL = env.str("REDIS_URL", default="") or embedded_redis_url(VAR_DIR)
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
