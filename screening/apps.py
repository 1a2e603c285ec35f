from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    """The Screening Interview Form and the trafficking determination."""

    name = "screening"
    verbose_name = "Screening"

    def ready(self) -> None:
        from cases.case_page import CaseSection, case_section_register

        from .selectors import screening_case_build, screening_case_querysets

        case_section_register(
            CaseSection("screening", screening_case_querysets, screening_case_build)
        )
