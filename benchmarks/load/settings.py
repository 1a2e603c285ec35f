"""Settings of the load benchmark: production's, less only what binds cookies to TLS.

The benchmark speaks plain HTTP on the loopback interface, where a browser (and Locust's
client) would not send back cookies marked ``Secure`` and a redirect to HTTPS would lead
nowhere. Everything else (``DEBUG`` off, audit, encryption, whitenoise, CSP, sessions and
second factors) is production's own.
"""

from config.settings.production import *  # noqa: F403

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
