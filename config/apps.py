from django.apps import AppConfig


class HarbourConfig(AppConfig):
    """Project-wide wiring that belongs to no feature app: the deployment checks."""

    name = "config"
    label = "harbour_config"
    verbose_name = "Harbour configuration"

    def ready(self) -> None:
        from config import checks  # noqa: F401  (registers the system checks)
