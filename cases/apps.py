from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from .case_page import CaseSection, case_section_register, closure_section_build
        from .selectors import closure_panel_querysets

        closure = CaseSection("closure", closure_panel_querysets, closure_section_build)
        case_section_register(closure)
