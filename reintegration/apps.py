from django.apps import AppConfig


class ReintegrationConfig(AppConfig):
    """Reintegration plans and assistance, monitoring visits, outcomes and closure."""

    name = "reintegration"
    verbose_name = "Reintegration"

    def ready(self) -> None:
        from cases.case_page import CaseSection, case_section_register

        from .selectors import reintegration_case_build, reintegration_case_querysets

        case_section_register(
            CaseSection("reintegration", reintegration_case_querysets, reintegration_case_build)
        )
