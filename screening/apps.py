from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    """The Screening Interview Form and the trafficking determination."""

    name = "screening"
    verbose_name = "Screening"
