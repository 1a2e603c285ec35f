"""Search terms never reach a log line in clear.

A search is a GET (``/cases/?q=fatima+1998``, ``/api/v1/cases/?q=…``), so the words a
caseworker typed about a person sit in the URL, and runserver's access line (``django.server``)
or any line that quotes a URL would print them. This filter, on every handler, rewrites the
value of each ``q`` parameter in a record's message before it is written.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
# ``q=`` at the start of a query string or after ``&`` or ``;``, up to the next separator.
_SEARCH_PARAMETER = re.compile(r"(?<=[?&;]q=)[^&;#\s\"']*", re.IGNORECASE)


def redact_search_terms(text: str) -> str:
    return _SEARCH_PARAMETER.sub(REDACTED, text)


class SearchTermsRedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_search_terms(message)
        if redacted != message:
            # The formatted message replaces the template and its arguments: an argument
            # holding the URL is no longer there to be formatted again.
            record.msg, record.args = redacted, ()
        return True
