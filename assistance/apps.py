from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    """The Assistance Interview Form, support plans, services, referrals and movement."""

    name = "assistance"
    verbose_name = "Assistance"

    def ready(self) -> None:
        from cases.case_page import case_section_register

        from .case_page import SECTIONS

        for section in SECTIONS:
            case_section_register(section)
