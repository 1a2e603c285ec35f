#!/bin/sh
# Every container of the image (web, worker, beat, migrate) refuses to start with settings that
# would expose the records: Django's deployment checks and Harbour's (config/checks.py: hosts,
# encryption keys, committed development keys), warnings included.
set -eu
python manage.py check --deploy --fail-level WARNING
exec "$@"
