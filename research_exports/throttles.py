"""The research API's throttle: a per-researcher rate on top of the extract quota."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import UserRateThrottle


class ResearchRateThrottle(UserRateThrottle):
    """``RESEARCH_API_THROTTLE_RATE`` requests per user (e.g. "60/minute"); 429 beyond it.

    The rate is read from the settings on each request rather than from DRF's
    ``DEFAULT_THROTTLE_RATES`` once at import, so it can be changed per deployment and test.
    """

    scope = "research"

    def get_rate(self) -> str:
        return settings.RESEARCH_API_THROTTLE_RATE
