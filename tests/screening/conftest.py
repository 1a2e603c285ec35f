import datetime

import pytest
from django.utils import timezone

from screening import services


def complete_answers(today: datetime.date | None = None) -> dict[str, dict]:
    """Answers for every section that make a submittable, eligible determination."""
    today = today or timezone.localdate()
    return {
        "interview": {
            "interview_date": today,
            "interview_country": "NPL",
            "interview_language": "ne",
            "interpreter_used": False,
            "referral_source": "Organisation",
            "referring_organisation_type": "NGO",
        },
        "consent": {
            "consent_interview": True,
            "consent_purpose_explained": True,
            "consent_data_use_explained": True,
            "consent_research": True,
            "consent_access_rights_explained": True,
            "consent_retention_explained": True,
            "consent_withdrawal_explained": True,
        },
        "person": {"gender": "Feminine", "birth_year": 1995, "citizenships": ["NPL"]},
        "recruitment": {
            "recruitment_date": today - datetime.timedelta(days=400),
            "recruitment_country": "NPL",
            "recruitment_methods": ["ThroughFriendsOrSocialEvents"],
            "recruiter_relation": "Friend",
        },
        "exploitation": {
            "exploitation_countries": ["IND"],
            "exploitation_start": today - datetime.timedelta(days=300),
            "exploitation_end": today - datetime.timedelta(days=30),
            "exploitation_types": ["ForcedLabour"],
            "labour_industries": ["T_ActivitiesOfHouseholdsAsEmployers"],
            "means_of_control": ["WithholdsDocuments", "DebtBondage"],
        },
        "exit": {
            "exit_mode": "Escaped",
            "exit_date": today - datetime.timedelta(days=20),
            "identified_by": "NGO",
        },
        "determination": {
            "trafficking_status": "ActualVictimOfTrafficking",
            "decision_organisation": "NGO",
            "reasoning_act": "Recruited and transported.",
            "reasoning_means": "Documents withheld, debt.",
            "reasoning_purpose": "Domestic servitude.",
            "eligible_for_assistance": True,
        },
    }


def fill(screening, actor, answers: dict[str, dict]):
    for section, data in answers.items():
        screening = services.screening_section_save(
            actor=actor,
            screening_id=screening.pk,
            section=section,
            version=screening.version,
            data=data,
        )
    return screening


@pytest.fixture
def screening_a(case_a, caseworker_a):
    return services.screening_start(actor=caseworker_a, case_id=case_a.pk)


@pytest.fixture
def submitted_screening(screening_a, caseworker_a):
    screening = fill(screening_a, caseworker_a, complete_answers())
    return services.screening_submit(
        actor=caseworker_a, screening_id=screening.pk, version=screening.version
    )
