from django.apps import AppConfig


class ReintegrationConfig(AppConfig):
    """Reintegration plans and assistance, monitoring visits, outcomes and closure."""

    name = "reintegration"
    verbose_name = "Reintegration"
