"""Token authentication for the API, with tokens that expire.

Kept apart from the token sign-in view: DRF imports authentication classes while it imports
its own views, so this module must not import any view.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

TOKEN_EXPIRED_MESSAGE = gettext_noop("This token has expired. Obtain a new one.")


def token_expired(token: Token) -> bool:
    lifetime = datetime.timedelta(hours=settings.HARBOUR_API_TOKEN_LIFETIME_HOURS)
    return token.created <= timezone.now() - lifetime


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, with tokens that stop working a fixed time after issue.

    A token that leaks (a script left on a shared machine, a log of a proxy) is then only
    useful for a bounded time; an expired token is deleted when it is presented.
    """

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            Token.objects.filter(pk=token.pk).delete()
            raise exceptions.AuthenticationFailed(_(TOKEN_EXPIRED_MESSAGE))
        return user, token
