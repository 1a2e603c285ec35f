"""gunicorn's settings for the image (``gunicorn --config python:config.gunicorn``).

gunicorn writes URLs in its own log lines, outside Django's LOGGING: the access line (when an
operator turns it on with ``--access-logfile``: request line and referrer) and "Error handling
request <uri>". Both carry the query string, and a search's terms are in it (``?q=``).
"""

from gunicorn import glogging

from config.log_redaction import SearchTermsRedactFilter

logger_class = "config.gunicorn.RedactingLogger"


class RedactingLogger(glogging.Logger):
    """gunicorn's logger with search terms taken out of every line it writes."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.addFilter(SearchTermsRedactFilter())
