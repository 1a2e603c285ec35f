"""Authenticator-app secrets are encrypted at rest, move out of django-otp's clear table, and
rotate with the field keys."""

import importlib
import re

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuthenticatorApp
from tests.second_factor import fresh_code, totp_code, totp_device, verified_login

pytestmark = pytest.mark.django_db

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
HEX_SECRET = re.compile(r"^[0-9a-f]{40}$")
migration = importlib.import_module("accounts.migrations.0007_encrypt_totp_keys")


def _raw_key(device_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM accounts_authenticatorapp WHERE id = %s", [device_id])
        return cursor.fetchone()[0]


def test_the_raw_column_holds_a_token_not_the_hex_secret(caseworker_a):
    device = totp_device(caseworker_a)

    raw = _raw_key(device.pk)

    assert HEX_SECRET.match(device.key)
    assert device.key not in raw
    assert not HEX_SECRET.match(raw)
    assert raw.startswith("gAAAAA")  # a Fernet token


def test_a_code_from_the_secret_verifies_against_the_encrypted_device(caseworker_a):
    device = totp_device(caseworker_a)

    assert AuthenticatorApp.objects.get(pk=device.pk).verify_token(totp_code(device))


def test_enrolment_page_shows_a_qr_and_the_typed_key_of_the_encrypted_secret(client, central_admin):
    client.force_login(central_admin)

    response = client.get(reverse("accounts:totp_enrol"))

    device = AuthenticatorApp.objects.get(user=central_admin, confirmed=False)
    assert response.status_code == 200
    assert "<svg" in response.content.decode()
    assert response.context["secret"] == device.config_url.split("secret=")[1].split("&")[0]
    assert not HEX_SECRET.match(_raw_key(device.pk))


def test_migration_moves_clear_secrets_into_encrypted_devices_and_leaves_none(caseworker_a):
    old = TOTPDevice.objects.create(user=caseworker_a, name="old phone", confirmed=True)
    secret = old.key

    migration.encrypt_keys(apps, None)

    assert not TOTPDevice.objects.exists()
    moved = AuthenticatorApp.objects.get(user=caseworker_a)
    assert (moved.key, moved.name, moved.confirmed) == (secret, "old phone", True)
    assert secret not in _raw_key(moved.pk)
    assert moved.verify_token(fresh_code(moved))


def test_key_rotation_re_encrypts_the_secrets(caseworker_a):
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        device = totp_device(caseworker_a)
        secret = device.key
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        call_command("rotate_encryption_keys")

    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]):
        assert AuthenticatorApp.objects.get(pk=device.pk).key == secret
    assert Fernet(KEY_B.encode()).decrypt(_raw_key(device.pk).encode()).decode() == secret


def test_the_admin_site_does_not_show_django_otps_clear_secrets():
    assert not admin.site.is_registered(TOTPDevice)


def test_a_central_admin_reset_removes_encrypted_devices(client, central_admin, caseworker_a):
    totp_device(caseworker_a)
    verified_login(client, central_admin)

    response = client.post(
        reverse("accounts:user_second_factors_reset", kwargs={"user_id": caseworker_a.pk})
    )

    assert response.status_code == 302
    assert not AuthenticatorApp.objects.filter(user=caseworker_a).exists()
