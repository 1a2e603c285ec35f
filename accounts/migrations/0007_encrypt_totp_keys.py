"""Move every authenticator app out of django-otp's table, where its secret was in clear text,
into ``accounts.AuthenticatorApp``, where it is encrypted with the field keys.

The old rows are deleted in the same transaction, so no clear secret is left behind. Sessions
verified with an old device are asked for a code again at their next request (the device id
they hold no longer exists); the apps themselves keep working, as the secret is the same.
"""

from django.db import migrations

COPIED = (
    "user_id",
    "name",
    "confirmed",
    "throttling_failure_timestamp",
    "throttling_failure_count",
    "created_at",
    "last_used_at",
    "key",
    "step",
    "t0",
    "digits",
    "tolerance",
    "drift",
    "last_t",
)


def encrypt_keys(apps, schema_editor):
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    AuthenticatorApp = apps.get_model("accounts", "AuthenticatorApp")
    old = TOTPDevice.objects.order_by("pk")
    AuthenticatorApp.objects.bulk_create(
        AuthenticatorApp(**{name: getattr(device, name) for name in COPIED}) for device in old
    )
    old.delete()


def decrypt_keys(apps, schema_editor):
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    AuthenticatorApp = apps.get_model("accounts", "AuthenticatorApp")
    new = AuthenticatorApp.objects.order_by("pk")
    TOTPDevice.objects.bulk_create(
        TOTPDevice(**{name: getattr(device, name) for name in COPIED}) for device in new
    )
    new.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_authenticator_app"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(encrypt_keys, decrypt_keys)]
