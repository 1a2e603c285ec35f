"""API token sign-in. It is a sign-in like the HTML one: same lockout, same audit trail."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import lockout
from accounts.forms import SIGN_IN_FAILED_MESSAGE
from accounts.second_factor.services import second_factor_match
from accounts.services import API_TOKEN_SIGN_IN_NAME, api_token_create, api_token_revoke
from cases.audit import audit_record
from cases.models import AuditAction
from config.errors import ApplicationError

from .authentication import ExpiringTokenAuthentication

LOCKED_OUT_MESSAGE = gettext_noop(
    "Signing in to this account is paused after too many unsuccessful attempts. Try again later."
)


class SignInLockedOutError(ApplicationError):
    status_code = 429
    code = "locked_out"


class AuthTokenObtainApi(APIView):
    """Exchange an email address, password and second-factor code for an API token
    (``Authorization: Token …``).

    The token is shown once, stored hashed (django-rest-knox), expires after
    ``HARBOUR_API_TOKEN_LIFETIME_HOURS`` and is revoked when the user signs out.

    Every refusal reads the same whether or not the account exists. Failures count towards
    the account lockout exactly as on the sign-in page.
    """

    class InputSerializer(serializers.Serializer):
        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=4096, trim_whitespace=False)
        otp = serializers.CharField(
            max_length=32,
            required=False,
            allow_blank=True,
            help_text=(
                "A code from the user's authenticator app, or one of their recovery codes. "
                "Required: an account without a second factor gets no token."
            ),
        )

        class Meta:
            ref_name = "AuthTokenObtainInput"

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()
        expires_at = serializers.DateTimeField()

        class Meta:
            ref_name = "AuthToken"

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(
        operation_id="auth_token_obtain",
        tags=["auth"],
        summary="Obtain an API token",
        request=InputSerializer,
        responses={200: OutputSerializer},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Lower-cased as on the sign-in page: addresses are stored lower-case, and the lockout
        # must count "A@x" and "a@x" as one account.
        email = serializer.validated_data["email"].strip().lower()
        http_request = request._request
        user = authenticate(
            request=http_request, username=email, password=serializer.validated_data["password"]
        )
        if getattr(http_request, "axes_locked_out", False):
            # Answered here in the API's error shape; clearing the flag stops AxesMiddleware
            # from replacing this answer with the HTML lockout page.
            http_request.axes_locked_out = False
            raise SignInLockedOutError(_(LOCKED_OUT_MESSAGE))
        if user is None:
            raise ApplicationError(str(SIGN_IN_FAILED_MESSAGE), code="invalid_credentials")
        if not self._second_factor_passed(http_request, user, serializer.validated_data):
            if getattr(http_request, "axes_locked_out", False):
                http_request.axes_locked_out = False
                raise SignInLockedOutError(_(LOCKED_OUT_MESSAGE))
            # The same answer as a wrong password: it must not confirm that the password was
            # right to someone who lacks the second factor.
            raise ApplicationError(str(SIGN_IN_FAILED_MESSAGE), code="invalid_credentials")
        # Records the sign-in (audit trail, last_login) and resets the failure count.
        user_logged_in.send(sender=user.__class__, request=http_request, user=user)
        # A new token each time: only its digest is stored, so an earlier one cannot be shown
        # again. This answer is the only place the token itself ever appears.
        token, secret = api_token_create(user=user, name=API_TOKEN_SIGN_IN_NAME)
        return Response(self.OutputSerializer({"token": secret, "expires_at": token.expiry}).data)

    @staticmethod
    def _second_factor_passed(http_request, user, data) -> bool:
        """Tokens only for a verified second factor, whatever the role: an account without a
        factor (a researcher for whom it is optional, too) sets one up in the browser first.

        A missing or wrong code is a sign-in failure for the lockout, like a wrong password.
        """
        code = data.get("otp", "")
        if code and second_factor_match(user=user, token=code) is not None:
            return True
        if not code:
            audit_record(actor=user, action=AuditAction.SECOND_FACTOR_FAILED)
        user_login_failed.send(
            sender=__name__,
            credentials=lockout.second_factor_credentials(user),
            request=http_request,
        )
        return False


class AuthTokenRevokeApi(APIView):
    """Sign an API client out: the token presented in ``Authorization`` stops working.

    Only a token can revoke itself (no session): a page cannot be made to post here.
    """

    authentication_classes = [ExpiringTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_token_revoke",
        tags=["auth"],
        summary="Revoke the API token presented",
        request=None,
        responses={204: None},
    )
    def post(self, request):
        api_token_revoke(token=request.auth, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
