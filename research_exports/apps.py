from django.apps import AppConfig


class ResearchExportsConfig(AppConfig):
    """The de-identified research mart, disclosure control and extracts."""

    name = "research_exports"
    verbose_name = "Research exports"
