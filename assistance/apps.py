from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    """The Assistance Interview Form, support plans, services, referrals and movement."""

    name = "assistance"
    verbose_name = "Assistance"
