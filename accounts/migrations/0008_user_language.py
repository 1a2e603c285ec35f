from django.db import migrations, models


class Migration(migrations.Migration):
    # 0006 may be taken by the second-factor branch; the graph is joined at merge.
    dependencies = [
        ("accounts", "0007_encrypt_totp_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="language",
            field=models.CharField(
                blank=True,
                choices=[
                    ("en", "English"),
                    ("fr", "Français"),
                    ("es", "Español"),
                    ("ar", "العربية"),
                    ("ru", "Русский"),
                    ("pt", "Português"),
                ],
                max_length=8,
                verbose_name="language",
            ),
        ),
    ]
