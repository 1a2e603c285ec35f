# Production image: gunicorn for the web, the same image runs the Celery worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

RUN groupadd --system harbour \
    && useradd --system --gid harbour --home-dir /app --no-create-home --shell /usr/sbin/nologin harbour

WORKDIR /app

# msgfmt, to compile the message catalogs (the .mo files are built here, never committed).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

# Dependencies in their own layer, rebuilt only when pyproject.toml or the lock changes. The
# project's packages are not copied yet, so `pip install .` installs the pinned dependencies and
# no copy of the code: the code runs from /app, where templates/ and static/ sit beside it.
COPY pyproject.toml requirements.lock ./
RUN pip install -c requirements.lock . && rm -rf build ./*.egg-info

# Code owned by root and read-only for the app user; only var/ (uploads, extracts, beat state)
# is writable.
COPY . .
# Placeholder values exist only for this RUN (collectstatic needs importable settings); the
# image carries no configuration and production refuses to start without the real variables.
RUN DJANGO_SECRET_KEY=collectstatic-only \
    DATABASE_URL=postgres://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 \
    FIELD_ENCRYPTION_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    BLIND_INDEX_KEY=collectstatic-only \
    HARBOUR_AUDIT_CHECKPOINT_KEY=collectstatic-only \
    DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput --verbosity 0 \
    && python manage.py compile_catalogs --verbosity 0 \
    && mkdir -p var/media var/beat \
    && chown harbour:harbour var/media var/beat

USER harbour
EXPOSE 8000
# Every container refuses to start with unsafe settings: check --deploy, warnings included.
ENTRYPOINT ["sh", "/app/config/docker/entrypoint.sh"]
# Worker processes: WEB_CONCURRENCY (gunicorn reads it), default 1 per container; scale out with
# more web containers behind the proxy.
CMD ["gunicorn", "config.wsgi", "--config", "python:config.gunicorn", "--bind", "0.0.0.0:8000", "--timeout", "60", "--graceful-timeout", "30"]
