from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """Bringing data in: bulk HTCDS files, CTDC files, KoBo/ODK submissions, XLSForm export.

    Parsers per format (``intake.readers``) feed one validation and one import service.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "intake"
    verbose_name = "Data intake"
