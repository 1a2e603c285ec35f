"""Token authentication for the API: django-rest-knox tokens, stored hashed, that expire.

Kept apart from the token sign-in view: DRF imports authentication classes while it imports
its own views, so this module must not import any view.
"""

from __future__ import annotations

import binascii
from hmac import compare_digest

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework import exceptions

from accounts.services import api_token_mark_used

TOKEN_EXPIRED_MESSAGE = gettext_noop("This token has expired. Obtain a new one.")
TOKEN_INVALID_MESSAGE = gettext_noop("Invalid token.")


def token_expired(token: AuthToken) -> bool:
    return token.expiry is not None and token.expiry <= timezone.now()


class ExpiringTokenAuthentication(TokenAuthentication):
    """knox's token authentication: only a SHA-512 digest of each token is in the database.

    A token stops working ``HARBOUR_API_TOKEN_LIFETIME_HOURS`` after it is issued, so one that
    leaks (a script left on a shared machine, a proxy's log) is useful for a bounded time; an
    expired token is deleted when it is presented and says so. An unknown, malformed or
    inactive user's token gets one and the same answer.
    """

    def authenticate_credentials(self, token: bytes):
        try:
            presented = token.decode("utf-8")
            digest = hash_token(presented)
        except (UnicodeDecodeError, TypeError, ValueError, binascii.Error):
            raise exceptions.AuthenticationFailed(_(TOKEN_INVALID_MESSAGE)) from None
        candidates = AuthToken.objects.filter(
            token_key=presented[: CONSTANTS.TOKEN_KEY_LENGTH]
        ).select_related("user", "harbour_detail")
        for candidate in candidates:
            if not compare_digest(digest, candidate.digest):
                continue
            if token_expired(candidate):
                AuthToken.objects.filter(digest=candidate.digest).delete()
                raise exceptions.AuthenticationFailed(_(TOKEN_EXPIRED_MESSAGE))
            if not candidate.user.is_active:
                break
            api_token_mark_used(token=candidate)
            return candidate.user, candidate
        raise exceptions.AuthenticationFailed(_(TOKEN_INVALID_MESSAGE))


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    """The schema's description of the token header (same name as DRF's token scheme had)."""

    target_class = ExpiringTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Token-based authentication with required prefix "Token"',
        }
