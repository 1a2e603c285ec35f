"""API serializers shared by the assistance endpoints.

Inputs check shapes and vocabularies only; every rule (dates, consent, costs, transitions)
stays in the services, whose field errors come back in the one error shape.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Mission, User
from cases.vocabularies import country_choices
from config.api.serializers import StrictInputSerializer

from .models import (
    AssistanceInterview,
    AssistanceService,
    Movement,
    Organisation,
    Referral,
    SupportPlan,
    TransportMeans,
)

MAX_TEXT_LENGTH = 10_000
MAX_CODES = 50
MAX_LEGS = 20

# A rejected code or id is not quoted back: a client may have put anything in that place.
UNKNOWN_CODE_MESSAGE = _("Unknown code.")
UNKNOWN_RECORD_MESSAGE = _("Unknown record.")
VERSION_REQUIRED_MESSAGE = _("Send the version you last read.")

RELATED_ERRORS = {
    "does_not_exist": UNKNOWN_RECORD_MESSAGE,
    "incorrect_type": UNKNOWN_RECORD_MESSAGE,
}


def code_field(choices, **kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=choices, error_messages={"invalid_choice": UNKNOWN_CODE_MESSAGE}, **kwargs
    )


def codes_field(choices) -> serializers.ListField:
    return serializers.ListField(child=code_field(choices), max_length=MAX_CODES, required=False)


def text_field() -> serializers.CharField:
    return serializers.CharField(allow_blank=True, required=False, max_length=MAX_TEXT_LENGTH)


def organisation_field(**kwargs) -> serializers.PrimaryKeyRelatedField:
    """Any organisation of the directory; whether it is still active is the service's rule."""
    return serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), error_messages=RELATED_ERRORS, **kwargs
    )


def mission_field(**kwargs) -> serializers.PrimaryKeyRelatedField:
    return serializers.PrimaryKeyRelatedField(
        queryset=Mission.objects.all(), error_messages=RELATED_ERRORS, **kwargs
    )


def user_field(**kwargs) -> serializers.PrimaryKeyRelatedField:
    """Whether this user may see the case is the service's rule, not the serializer's."""
    return serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), error_messages=RELATED_ERRORS, **kwargs
    )


class VersionInputSerializer(StrictInputSerializer):
    version = serializers.IntegerField(min_value=1)

    def validate(self, attrs):
        # A partial update makes every field optional, but never the version.
        if "version" not in attrs:
            raise serializers.ValidationError({"version": [VERSION_REQUIRED_MESSAGE]})
        return super().validate(attrs)


class InterviewOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssistanceInterview
        fields = [
            "id",
            "case",
            "version",
            "created_by",
            "created_at",
            "updated_at",
            "interview_date",
            "interviewer",
            "language",
            "interpreter_used",
            "immediate_needs",
            "immediate_needs_notes",
            "health_needs",
            "health_notes",
            "psychosocial_support_needed",
            "psychosocial_notes",
            "legal_needs",
            "legal_notes",
            "documentation_needs",
            "documentation_notes",
            "safety_risk_level",
            "safety_risk_reasoning",
            "wish",
            "wish_notes",
        ]
        read_only_fields = fields
        ref_name = "AssistanceInterview"


class InterviewSummaryOutputSerializer(serializers.ModelSerializer):
    """An interview without its notes: what a list row shows."""

    class Meta:
        model = AssistanceInterview
        fields = [
            "id",
            "case",
            "version",
            "created_at",
            "interview_date",
            "interviewer",
            "language",
            "interpreter_used",
            "safety_risk_level",
            "wish",
        ]
        read_only_fields = fields
        ref_name = "AssistanceInterviewSummary"


class ServiceOutputSerializer(serializers.ModelSerializer):
    # An exact amount: a string, never a float that could lose cents.
    cost = serializers.DecimalField(
        max_digits=12, decimal_places=2, coerce_to_string=True, allow_null=True, read_only=True
    )

    class Meta:
        model = AssistanceService
        fields = [
            "id",
            "case",
            "version",
            "created_at",
            "updated_at",
            "category",
            "sub_type",
            "provider",
            "organisation",
            "status",
            "start_date",
            "end_date",
            "admission_date",
            "exit_date",
            "cost",
            "currency",
            "notes",
        ]
        read_only_fields = fields
        ref_name = "AssistanceService"


class ReferralOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Referral
        fields = [
            "id",
            "case",
            "created_at",
            "direction",
            "referral_date",
            "organisation",
            "reason",
            "details",
            "shares_personal_data",
            "consent_given",
            "consent_recorded_at",
        ]
        read_only_fields = fields
        ref_name = "Referral"


class MovementLegSerializer(StrictInputSerializer):
    """One leg of the journey, in order; places are encrypted at rest."""

    from_country = code_field(country_choices())
    from_place = text_field()
    to_country = code_field(country_choices())
    to_place = text_field()
    planned_date = serializers.DateField()
    actual_date = serializers.DateField(required=False, allow_null=True)
    transport_means = code_field(TransportMeans.choices)
    escorted = serializers.BooleanField(required=False)

    class Meta:
        ref_name = "MovementLeg"


class MovementOutputSerializer(serializers.ModelSerializer):
    legs = MovementLegSerializer(many=True, read_only=True)

    class Meta:
        model = Movement
        fields = [
            "id",
            "case",
            "version",
            "created_at",
            "updated_at",
            "movement_type",
            "origin_country",
            "destination_country",
            "travel_document_status",
            "assessment_decision",
            "assessment_reasoning",
            "assessed_at",
            "reception_organisation",
            "reception_mission",
            "status",
            "departed_at",
            "arrived_at",
            "legs",
        ]
        read_only_fields = fields
        ref_name = "Movement"


class SupportPlanOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupportPlan
        fields = [
            "id",
            "case",
            "version",
            "created_at",
            "updated_at",
            "plan_types",
            "objectives",
            "action_plan",
            "start_date",
            "planned_end_date",
            "actual_end_date",
        ]
        read_only_fields = fields
        ref_name = "SupportPlan"
