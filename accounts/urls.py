from django.urls import path

from . import views
from .api_tokens import views as api_token_views
from .passwords import views as password_views
from .second_factor import views as second_factor_views
from .sign_ins import views as sign_in_views

app_name = "accounts"

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("language/", views.language_set, name="language"),
    path("login/code/", second_factor_views.second_factor_verify, name="second_factor"),
    path("security/", second_factor_views.security, name="security"),
    path("security/confirm/", second_factor_views.reauthenticate, name="reauthenticate"),
    path("security/app/", second_factor_views.totp_enrol, name="totp_enrol"),
    path(
        "security/app/<int:device_id>/remove/",
        second_factor_views.totp_remove,
        name="totp_remove",
    ),
    path(
        "security/passkeys/<int:passkey_id>/remove/",
        second_factor_views.passkey_remove,
        name="passkey_remove",
    ),
    path(
        "security/recovery-codes/",
        second_factor_views.recovery_codes_regenerate,
        name="recovery_codes_regenerate",
    ),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:user_id>/", views.user_edit, name="user_edit"),
    path("users/<int:user_id>/memberships/", views.membership_add, name="membership_add"),
    path(
        "users/<int:user_id>/memberships/<int:membership_id>/remove/",
        views.membership_remove,
        name="membership_remove",
    ),
    path(
        "users/<int:user_id>/password-reset/",
        password_views.user_password_reset,
        name="user_password_reset",
    ),
    path("security/password/", password_views.password_change, name="password_change"),
    path(
        "security/password/forgot/",
        password_views.PasswordForgotView.as_view(),
        name="password_forgot",
    ),
    path(
        "security/password/reset/<uidb64>/<token>/",
        password_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("security/sign-ins/", sign_in_views.sign_in_history_own, name="sign_ins"),
    path("security/sign-ins/all/", sign_in_views.sign_in_history_all, name="sign_ins_all"),
    path("security/tokens/", api_token_views.api_token_list, name="api_tokens"),
    path(
        "security/tokens/<int:token_id>/revoke/",
        api_token_views.api_token_revoke,
        name="api_token_revoke",
    ),
    path(
        "users/<int:user_id>/second-factors/reset/",
        views.user_second_factors_reset,
        name="user_second_factors_reset",
    ),
    path("missions/", views.mission_list, name="mission_list"),
    path("missions/new/", views.mission_create, name="mission_create"),
    path("missions/<int:mission_id>/", views.mission_edit, name="mission_edit"),
]
