"""Liveness of the shared state, for load balancers and orchestrators.

No authentication (probes carry no credentials) and nothing but "ok"/"error" per dependency in
the body: hosts, versions and exception texts would help an attacker, not the probe.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# A probe must answer before the balancer's own timeout, even when Redis black-holes packets.
REDIS_TIMEOUT_SECONDS = 1.0
OK = "ok"
ERROR = "error"


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.warning("Health check: database unreachable", exc_info=True)
        return ERROR
    return OK


def _redis_status() -> str:
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    except Exception:
        logger.warning("Health check: Redis unreachable", exc_info=True)
        return ERROR
    finally:
        client.close()
    return OK


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_status(), "redis": _redis_status()}
    healthy = all(value == OK for value in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)
