from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class HarbourConfig(AppConfig):
    """Project-wide wiring that belongs to no feature app: the deployment checks."""

    name = "config"
    label = "harbour_config"
    verbose_name = "Harbour configuration"

    def ready(self) -> None:
        from config import checks  # noqa: F401  (registers the system checks)


class HarbourAdminConfig(AdminConfig):
    """Django's admin, on a site that needs a verified second factor (issue 12 §1)."""

    default_site = "accounts.second_factor.admin_site.VerifiedAdminSite"
