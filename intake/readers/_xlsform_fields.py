"""Column names of field-collected submissions: one table for the XLSForm export and the readers.

Where HTCDS 2.0 defines the answer, the column is its field name (``prs_Gender``,
``vic_TypeOfExploitation``...). Answers the standard does not have (Harbour's consent
checklist, recruitment details, the determination's reasoning...) keep the prefix of the
standard's section and its CamelCase, as the bulk-import columns do (``con_ResearchConsent``,
``vic_ExploitationStartDate``), so a field submission and a bulk file name an answer alike.
"""

from __future__ import annotations

# Asked on the phone so the import can register the person (cases.services.case_create).
IDENTITY_COLUMNS: dict[str, str] = {
    "registered_on": "cas_RegistrationDate",
    "given_name": "prs_FirstName",
    "family_name": "prs_SecondName",
    "date_of_birth": "prs_Birthdate",
}
# HTCDS has a primary and a secondary language where the screening keeps a list.
LANGUAGE_COLUMNS = ("prs_PrimaryLanguage", "prs_SecondaryLanguage")

# Screening answer (screening.models.Screening field) -> column.
SCREENING_COLUMNS: dict[str, str] = {
    # A. Interview
    "interview_date": "cas_InterviewDate",
    "interview_country": "cas_InterviewCountry",
    "interview_locality": "cas_InterviewLocality",
    "interview_language": "cas_InterviewLanguage",
    "interpreter_used": "cas_InterpreterUsed",
    "referral_source": "cas_ReferralSource",
    "referring_organisation_type": "cas_ReferringOrganisationType",
    "incoming_referral_date": "cas_IncomingReferralDate",
    "incoming_referral_reason": "cas_ReasonForIncomingReferral",
    # B. Consent
    "consent_interview": "con_Consent",
    "consent_purpose_explained": "con_PurposeExplained",
    "consent_data_use_explained": "con_DataUseExplained",
    "consent_research": "con_ResearchConsent",
    "consent_access_rights_explained": "con_AccessRightsExplained",
    "consent_retention_explained": "con_RetentionExplained",
    "consent_withdrawal_explained": "con_WithdrawalExplained",
    # C. Person and vulnerability
    "gender": "prs_Gender",
    "birth_year": "prs_BirthYear",
    "minor_at_recruitment": "vic_MinorAtRecruitment",
    "minor_at_exploitation": "vic_MinorAtExploitation",
    "citizenships": "prs_Citizenship",
    "marital_status": "prs_MaritalStatus",
    "number_of_children": "prs_NumberOfChildren",
    "education_level": "prs_HighestLevelOfEducation",
    # The form's list of languages, as the standard's two fields (see LANGUAGE_COLUMNS).
    "languages": "prs_PrimaryLanguage",
    "migrant_type": "prs_MigrantType",
    "individual_vulnerabilities": "vic_IndividualVulnerabilities",
    "household_vulnerabilities": "vic_HouseholdVulnerabilities",
    "community_vulnerabilities": "vic_CommunityVulnerabilities",
    # D. Recruitment
    "recruitment_date": "vic_RecruitmentDate",
    "recruitment_country": "vic_RecruitmentCountry",
    "recruitment_locality": "vic_LocationOfRecruitment",
    "recruitment_methods": "vic_MethodOfRecruitment",
    "recruitment_websites": "vic_RecruitmentWebsitesAndApps",
    "abducted": "vic_Abducted",
    "recruiter_relation": "vic_RelationshipToTrafficker",
    "promised_job_sector": "vic_PromisedJobSector",
    "promised_destination_country": "vic_PromisedDestinationCountry",
    "fees_or_debt_incurred": "vic_FeesOrDebtIncurred",
    # E. Transportation
    "travel_document": "vic_TravelDocument",
    "travel_document_held_by": "vic_TravelDocumentHeldBy",
    "border_crossing": "vic_BorderCrossing",
    "transport_means": "vic_TransportMeans",
    # F. Exploitation
    "exploitation_countries": "vic_LocationOfExploitation",
    "exploitation_start": "vic_ExploitationStartDate",
    "exploitation_end": "vic_ExploitationEndDate",
    "exploitation_types": "vic_TypeOfExploitation",
    "labour_industries": "vic_ForcedLabourIndustry",
    "sexual_exploitation_types": "vic_TypeOfSexExploitation",
    "means_of_control": "vic_MethodsOfControl",
    "narrative": "vic_Narrative",
    # G. Exit
    "exit_mode": "vic_ExitMode",
    "exit_date": "vic_ExitDate",
    "identified_by": "vic_IdentifiedBy",
    # H. Determination
    "trafficking_status": "vic_TraffickingStatus",
    "decision_organisation": "vic_TraffickingStatusDecisionMakingOrg",
    "reasoning_act": "vic_ReasoningAct",
    "reasoning_means": "vic_ReasoningMeans",
    "reasoning_purpose": "vic_ReasoningPurpose",
    "eligible_for_assistance": "vic_EligibleForAssistance",
    "referral_made": "cas_OutgoingReferralDetails",
}

# Repeat groups: the name a SourceRow's ``repeats`` uses, and each row field -> column.
EVENTS_REPEAT = "events"
PERPETRATORS_REPEAT = "perpetrators"
REPEAT_COLUMNS: dict[str, dict[str, str]] = {
    EVENTS_REPEAT: {
        "event_type": "hte_Type",
        "country": "hte_Country",
        "locality": "hte_City",
        "date": "hte_Date",
    },
    PERPETRATORS_REPEAT: {
        "roles": "per_RoleInProcess",
        "gender": "per_Gender",
        "citizenship": "per_Citizenship",
        "relation": "per_RelationshipToVictim",
    },
}

# The standard HTCDS XLSForm spells a few fields differently from the field standard.
STANDARD_FORM_ALIASES: dict[str, str] = {
    "prs_First_Name": "prs_FirstName",
    "prs_Second_Name": "prs_SecondName",
    "vic_Methods_of_Control": "vic_MethodsOfControl",
}

# Choice names of a yes/no answer (the standard's con_Consent list uses the same).
YES = "TRUE"
NO = "FALSE"
