"""The sections of the Screening Interview Form, in order, and the fields each one saves."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SECTIONS: dict[str, dict] = {
    "interview": {
        "letter": "A",
        "title": _("Interview"),
        "fields": [
            "interview_date",
            "interview_country",
            "interview_locality",
            "interview_language",
            "interpreter_used",
            "referral_source",
            "referring_organisation_type",
            "incoming_referral_date",
            "incoming_referral_reason",
        ],
    },
    "consent": {
        "letter": "B",
        "title": _("Consent"),
        "fields": [
            "consent_interview",
            "consent_purpose_explained",
            "consent_data_use_explained",
            "consent_research",
            "consent_access_rights_explained",
            "consent_retention_explained",
            "consent_withdrawal_explained",
        ],
    },
    "person": {
        "letter": "C",
        "title": _("Person and vulnerability"),
        "fields": [
            "gender",
            "birth_year",
            "minor_at_recruitment",
            "minor_at_exploitation",
            "citizenships",
            "marital_status",
            "number_of_children",
            "education_level",
            "languages",
            "migrant_type",
            "individual_vulnerabilities",
            "household_vulnerabilities",
            "community_vulnerabilities",
        ],
    },
    "recruitment": {
        "letter": "D",
        "title": _("Recruitment"),
        "fields": [
            "recruitment_date",
            "recruitment_country",
            "recruitment_locality",
            "recruitment_methods",
            "recruitment_websites",
            "abducted",
            "recruiter_relation",
            "promised_job_sector",
            "promised_destination_country",
            "fees_or_debt_incurred",
        ],
    },
    "route": {
        "letter": "E",
        "title": _("Transportation and route"),
        "fields": [
            "travel_document",
            "travel_document_held_by",
            "border_crossing",
            "transport_means",
        ],
        "rows": "events",
    },
    "exploitation": {
        "letter": "F",
        "title": _("Exploitation"),
        "fields": [
            "exploitation_countries",
            "exploitation_start",
            "exploitation_end",
            "exploitation_types",
            "labour_industries",
            "sexual_exploitation_types",
            "means_of_control",
            "narrative",
        ],
        "rows": "perpetrators",
    },
    "exit": {
        "letter": "G",
        "title": _("Exit"),
        "fields": ["exit_mode", "exit_date", "identified_by"],
    },
    "determination": {
        "letter": "H",
        "title": _("Determination"),
        "fields": [
            "trafficking_status",
            "decision_organisation",
            "reasoning_act",
            "reasoning_means",
            "reasoning_purpose",
            "eligible_for_assistance",
            "referral_made",
        ],
    },
}

SECTION_KEYS = tuple(SECTIONS)
# Sections that may be saved before the person has consented to the interview.
SECTIONS_BEFORE_CONSENT = frozenset({"interview", "consent"})


def section_of(field: str) -> str | None:
    for key, section in SECTIONS.items():
        if field in section["fields"]:
            return key
    return None
