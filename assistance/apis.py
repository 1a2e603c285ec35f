"""The assistance REST API: the same services and selectors as the HTML pages.

Scope rules:

- Every record is reached through its case (``Case.objects.visible_to``): a record or case
  outside the user's scope gets the same 404 as a missing one; researchers get 404 on every
  endpoint. Writes check scope before they look at the body.
- Sharing a case with another mission is for central administrators only; anyone else gets
  the one 404, so the endpoint does not advertise itself.
- Reads that show notes, reasoning or places are audited (``case_assistance_get``,
  ``interview_get``, ``movement_get``).

A stale ``version`` is refused with 409 and nothing is written.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import CaseAccessReason
from cases.selectors import access_case_by_id
from cases.vocabularies import ReferralReason, SupportPlanType, country_choices, language_choices
from config.api.pagination import DefaultPagination
from config.api.permissions import IsCentralAdmin
from config.api.serializers import StrictInputSerializer

from .models import (
    AssessmentDecision,
    AssistanceService,
    CaseAccessProposal,
    DocumentationNeed,
    HealthNeed,
    ImmediateNeed,
    LegalNeed,
    Movement,
    MovementType,
    PersonWish,
    Provider,
    Referral,
    RiskLevel,
    ServiceCategory,
    ServiceSubType,
    TraffickingDetailChange,
    TraffickingDetailKind,
    TravelDocumentStatus,
)
from .profile_items import item_choices
from .selectors import (
    access_detail_change_by_id,
    access_interview_by_id,
    access_movement_by_id,
    access_proposal_by_id,
    access_service_by_id,
    case_assistance_get,
    detail_change_list_for_case,
    interview_get,
    interview_list_for_case,
    movement_get,
    movement_list_for_case,
    proposal_list_for_case,
    proposals_awaiting_decision,
    referral_list_for_case,
    service_list_for_case,
    support_plan_for_case,
    trafficking_profile_current,
)
from .serializers import (
    MAX_LEGS,
    MAX_TEXT_LENGTH,
    InterviewOutputSerializer,
    InterviewSummaryOutputSerializer,
    MovementLegSerializer,
    MovementOutputSerializer,
    ReferralOutputSerializer,
    ServiceOutputSerializer,
    SupportPlanOutputSerializer,
    VersionInputSerializer,
    code_field,
    codes_field,
    mission_field,
    organisation_field,
    text_field,
    user_field,
)
from .services import (
    case_access_grant,
    case_access_proposal_decide,
    case_access_proposal_withdraw,
    case_access_propose,
    case_access_revoke,
    interview_record,
    interview_update,
    movement_assess,
    movement_plan,
    movement_transition,
    referral_record,
    service_record,
    service_status_change,
    support_plan_create,
    support_plan_update,
    trafficking_detail_record,
    trafficking_detail_review,
)

TAGS = ["assistance"]
STALE_DESCRIPTION = (
    "``version`` is the one last read; if the record changed since, the answer is 409 and "
    "nothing is written."
)


def _path_id(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.UUID, OpenApiParameter.PATH, description=f"The {what}'s id."
    )


CASE_ID_PARAMETER = _path_id("case_id", "case")
INTERVIEW_ID_PARAMETER = _path_id("interview_id", "assistance interview")
SERVICE_ID_PARAMETER = _path_id("service_id", "assistance service")
MOVEMENT_ID_PARAMETER = _path_id("movement_id", "movement")


class CaseRecordListApi(generics.ListAPIView):
    """A paginated list of one case's records; the read is audited once per page."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = DefaultPagination
    filter_backends: list = []
    section = ""

    def get_case(self):
        return case_assistance_get(
            user=self.request.user, case_id=self.kwargs["case_id"], section=self.section
        )


# Assistance interviews


class InterviewInputSerializer(StrictInputSerializer):
    interview_date = serializers.DateField()
    interviewer = user_field(required=False)
    language = code_field(language_choices())
    interpreter_used = serializers.BooleanField(required=False)
    immediate_needs = codes_field(ImmediateNeed.choices)
    immediate_needs_notes = text_field()
    health_needs = codes_field(HealthNeed.choices)
    health_notes = text_field()
    psychosocial_support_needed = serializers.BooleanField(required=False, allow_null=True)
    psychosocial_notes = text_field()
    legal_needs = codes_field(LegalNeed.choices)
    legal_notes = text_field()
    documentation_needs = codes_field(DocumentationNeed.choices)
    documentation_notes = text_field()
    safety_risk_level = code_field(RiskLevel.choices)
    safety_risk_reasoning = text_field()
    wish = code_field(PersonWish.choices)
    wish_notes = text_field()

    class Meta:
        ref_name = "AssistanceInterviewInput"


class CaseInterviewListApi(CaseRecordListApi):
    """The assistance interviews of one case, newest first, without their notes."""

    serializer_class = InterviewSummaryOutputSerializer
    section = "assistance_interviews"

    def get_queryset(self):
        return interview_list_for_case(case=self.get_case())

    @extend_schema(
        operation_id="case_assistance_interviews_list",
        tags=TAGS,
        parameters=[CASE_ID_PARAMETER],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class InterviewRecordApi(APIView):
    """Record an assistance interview of an active case; the interviewer defaults to you."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="case_assistance_interviews_create",
        tags=TAGS,
        parameters=[CASE_ID_PARAMETER],
        request=InterviewInputSerializer,
        responses={201: InterviewOutputSerializer},
    )
    def post(self, request, case_id):
        case = access_case_by_id(user=request.user, case_id=case_id)
        serializer = InterviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        interview = interview_record(
            actor=request.user, case_id=case.pk, data=dict(serializer.validated_data)
        )
        return Response(InterviewOutputSerializer(interview).data, status=status.HTTP_201_CREATED)


class CaseInterviewCollectionApi(CaseInterviewListApi, InterviewRecordApi):
    """``/cases/<id>/assistance-interviews/``: GET lists, POST records."""


class InterviewItemApi(APIView):
    """One assistance interview with its notes (the read is audited); PATCH changes it."""

    class UpdateInputSerializer(InterviewInputSerializer, VersionInputSerializer):
        class Meta:
            ref_name = "AssistanceInterviewUpdateInput"

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="assistance_interviews_retrieve",
        tags=TAGS,
        parameters=[INTERVIEW_ID_PARAMETER],
        responses={200: InterviewOutputSerializer},
    )
    def get(self, request, interview_id):
        interview = interview_get(user=request.user, interview_id=interview_id)
        return Response(InterviewOutputSerializer(interview).data)

    @extend_schema(
        operation_id="assistance_interviews_partial_update",
        tags=TAGS,
        description=STALE_DESCRIPTION + " Fields not sent are left as they are.",
        parameters=[INTERVIEW_ID_PARAMETER],
        request=UpdateInputSerializer,
        responses={200: InterviewOutputSerializer},
    )
    def patch(self, request, interview_id):
        access_interview_by_id(user=request.user, interview_id=interview_id)
        serializer = InterviewItemApi.UpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version")
        interview = interview_update(
            actor=request.user, interview_id=interview_id, version=version, data=data
        )
        return Response(InterviewOutputSerializer(interview).data)


# Assistance services


class CaseServiceListApi(CaseRecordListApi):
    """The services timeline of one case, newest first, filterable by category and status."""

    # Not strict: the query string also carries the pagination parameters.
    class FilterSerializer(serializers.Serializer):
        category = code_field(ServiceCategory.choices, required=False)
        status = code_field(AssistanceService.Status.choices, required=False)

        class Meta:
            ref_name = "AssistanceServiceFilter"

    serializer_class = ServiceOutputSerializer
    section = "assistance_services"

    def get_queryset(self):
        filters = CaseServiceListApi.FilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return service_list_for_case(case=self.get_case(), **filters.validated_data)

    @extend_schema(
        operation_id="case_assistance_services_list",
        tags=TAGS,
        parameters=[CASE_ID_PARAMETER, FilterSerializer],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ServiceRecordApi(APIView):
    """Log a service given, planned or declined by the person. ``cost`` is an exact decimal
    string with an ISO 4217 ``currency``."""

    class InputSerializer(StrictInputSerializer):
        category = code_field(ServiceCategory.choices)
        sub_type = code_field(ServiceSubType.choices, required=False, allow_blank=True)
        provider = code_field(Provider.choices)
        organisation = organisation_field(required=False, allow_null=True)
        status = code_field(AssistanceService.Status.choices, required=False)
        start_date = serializers.DateField(required=False, allow_null=True)
        end_date = serializers.DateField(required=False, allow_null=True)
        admission_date = serializers.DateField(required=False, allow_null=True)
        exit_date = serializers.DateField(required=False, allow_null=True)
        # Text, not a number: the service parses it exactly and explains what is wrong.
        cost = serializers.CharField(
            required=False, allow_blank=True, allow_null=True, max_length=32
        )
        currency = serializers.CharField(required=False, allow_blank=True, max_length=8)
        notes = text_field()

        class Meta:
            ref_name = "AssistanceServiceInput"

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="case_assistance_services_create",
        tags=TAGS,
        parameters=[CASE_ID_PARAMETER],
        request=InputSerializer,
        responses={201: ServiceOutputSerializer},
    )
    def post(self, request, case_id):
        case = access_case_by_id(user=request.user, case_id=case_id)
        serializer = ServiceRecordApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service = service_record(actor=request.user, case_id=case.pk, **serializer.validated_data)
        return Response(ServiceOutputSerializer(service).data, status=status.HTTP_201_CREATED)


class CaseServiceCollectionApi(CaseServiceListApi, ServiceRecordApi):
    """``/cases/<id>/assistance-services/``: GET lists, POST records."""


class ServiceStatusChangeApi(APIView):
    """Move a service on (in progress, provided, declined by the person, cancelled)."""

    class InputSerializer(StrictInputSerializer):
        version = serializers.IntegerField(min_value=1)
        status = code_field(AssistanceService.Status.choices)
        end_date = serializers.DateField(required=False, allow_null=True)

        class Meta:
            ref_name = "AssistanceServiceStatusInput"

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="assistance_services_partial_update",
        tags=TAGS,
        description=STALE_DESCRIPTION,
        parameters=[SERVICE_ID_PARAMETER],
        request=InputSerializer,
        responses={200: ServiceOutputSerializer},
    )
    def patch(self, request, service_id):
        access_service_by_id(user=request.user, service_id=service_id)
        serializer = ServiceStatusChangeApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        service = service_status_change(
            actor=request.user,
            service_id=service_id,
            version=data["version"],
            to_status=data["status"],
            end_date=data.get("end_date"),
        )
        return Response(ServiceOutputSerializer(service).data)


# Referrals


class CaseReferralListApi(CaseRecordListApi):
    """The referrals of one case, newest first."""

    serializer_class = ReferralOutputSerializer
    section = "referrals"

    def get_queryset(self):
        return referral_list_for_case(case=self.get_case())

    @extend_schema(operation_id="case_referrals_list", tags=TAGS, parameters=[CASE_ID_PARAMETER])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ReferralRecordApi(APIView):
    """Record a referral. An outgoing one that shares personal data needs
    ``consent_given: true``; without it the answer is 400 ``consent_required``."""

    class InputSerializer(StrictInputSerializer):
        direction = code_field(Referral.Direction.choices)
        referral_date = serializers.DateField()
        organisation = organisation_field()
        reason = code_field(ReferralReason.choices)
        details = text_field()
        shares_personal_data = serializers.BooleanField(required=False)
        consent_given = serializers.BooleanField(required=False, allow_null=True)

        class Meta:
            ref_name = "ReferralInput"

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="case_referrals_create",
        tags=TAGS,
        parameters=[CASE_ID_PARAMETER],
        request=InputSerializer,
        responses={201: ReferralOutputSerializer},
    )
    def post(self, request, case_id):
        case = access_case_by_id(user=request.user, case_id=case_id)
        serializer = ReferralRecordApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        referral = referral_record(actor=request.user, case_id=case.pk, **serializer.validated_data)
        return Response(ReferralOutputSerializer(referral).data, status=status.HTTP_201_CREATED)


class CaseReferralCollectionApi(CaseReferralListApi, ReferralRecordApi):
    """``/cases/<id>/referrals/``: GET lists, POST records."""


# Movements


class CaseMovementListApi(CaseRecordListApi):
    """The movements of one case with their legs, newest first."""

    serializer_class = MovementOutputSerializer
    section = "movements"

    def get_queryset(self):
        return movement_list_for_case(case=self.get_case())

    @extend_schema(operation_id="case_movements_list", tags=TAGS, parameters=[CASE_ID_PARAMETER])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MovementPlanApi(APIView):
    """Plan a return or onward movement with its legs, in order; it starts as planned."""

    class InputSerializer(StrictInputSerializer):
        movement_type = code_field(MovementType.choices)
        origin_country = code_field(country_choices())
        destination_country = code_field(country_choices())
        travel_document_status = code_field(TravelDocumentStatus.choices)
        legs = MovementLegSerializer(many=True, required=False, max_length=MAX_LEGS)
        reception_organisation = organisation_field(required=False, allow_null=True)
        reception_mission = mission_field(required=False, allow_null=True)

        class Meta:
            ref_name = "MovementInput"

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="case_movements_create",
        tags=TAGS,
        parameters=[CASE_ID_PARAMETER],
        request=InputSerializer,
        responses={201: MovementOutputSerializer},
    )
    def post(self, request, case_id):
        case = access_case_by_id(user=request.user, case_id=case_id)
        serializer = MovementPlanApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["legs"] = [dict(row) for row in data.get("legs", [])]
        movement = movement_plan(actor=request.user, case_id=case.pk, **data)
        return Response(MovementOutputSerializer(movement).data, status=status.HTTP_201_CREATED)


class CaseMovementCollectionApi(CaseMovementListApi, MovementPlanApi):
    """``/cases/<id>/movements/``: GET lists, POST plans."""


class MovementDetailApi(APIView):
    """One movement with its legs. The read is audited."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="movements_retrieve",
        tags=TAGS,
        parameters=[MOVEMENT_ID_PARAMETER],
        responses={200: MovementOutputSerializer},
    )
    def get(self, request, movement_id):
        movement = movement_get(user=request.user, movement_id=movement_id)
        return Response(MovementOutputSerializer(movement).data)


class MovementAssessApi(APIView):
    """Record the pre-departure risk and family assessment; a no-go blocks departure."""

    class InputSerializer(StrictInputSerializer):
        version = serializers.IntegerField(min_value=1)
        decision = code_field(AssessmentDecision.choices)
        reasoning = serializers.CharField(max_length=10_000)

        class Meta:
            ref_name = "MovementAssessmentInput"

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="movements_assess",
        tags=TAGS,
        description=STALE_DESCRIPTION,
        parameters=[MOVEMENT_ID_PARAMETER],
        request=InputSerializer,
        responses={200: MovementOutputSerializer},
    )
    def post(self, request, movement_id):
        access_movement_by_id(user=request.user, movement_id=movement_id)
        serializer = MovementAssessApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        movement = movement_assess(
            actor=request.user,
            movement_id=movement_id,
            version=data["version"],
            decision=data["decision"],
            reasoning=data["reasoning"],
        )
        return Response(MovementOutputSerializer(movement).data)


class MovementTransitionApi(APIView):
    """Move a movement one step on (planned, confirmed, departed, arrived) or cancel it.

    Departure is refused with 400 ``no_go`` after a no-go assessment and
    ``assessment_required`` before any.
    """

    class InputSerializer(StrictInputSerializer):
        version = serializers.IntegerField(min_value=1)
        to = code_field(Movement.Status.choices)

        class Meta:
            ref_name = "MovementTransitionInput"

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="movements_transition",
        tags=TAGS,
        description=STALE_DESCRIPTION,
        parameters=[MOVEMENT_ID_PARAMETER],
        request=InputSerializer,
        responses={200: MovementOutputSerializer},
    )
    def post(self, request, movement_id):
        access_movement_by_id(user=request.user, movement_id=movement_id)
        serializer = MovementTransitionApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        movement = movement_transition(
            actor=request.user,
            movement_id=movement_id,
            version=data["version"],
            to_status=data["to"],
        )
        return Response(MovementOutputSerializer(movement).data)


# Support plan


class SupportPlanApi(APIView):
    """The case's one support plan. GET is 404 while the case has none.

    PUT replaces the plan: it creates it (201) when there is none yet, and otherwise needs
    the ``version`` last read (409 if stale). Optional fields not sent are cleared.
    """

    class InputSerializer(StrictInputSerializer):
        version = serializers.IntegerField(min_value=1, required=False)
        plan_types = serializers.ListField(
            child=code_field(SupportPlanType.choices), max_length=len(SupportPlanType.choices)
        )
        objectives = text_field()
        action_plan = text_field()
        start_date = serializers.DateField()
        planned_end_date = serializers.DateField(required=False, allow_null=True)
        actual_end_date = serializers.DateField(required=False, allow_null=True)

        class Meta:
            ref_name = "SupportPlanInput"

    # What a field not sent becomes: PUT replaces the whole plan.
    CLEARED = {
        "objectives": "",
        "action_plan": "",
        "planned_end_date": None,
        "actual_end_date": None,
    }

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="case_support_plan_retrieve",
        tags=TAGS,
        parameters=[CASE_ID_PARAMETER],
        responses={200: SupportPlanOutputSerializer},
    )
    def get(self, request, case_id):
        case = case_assistance_get(user=request.user, case_id=case_id, section="support_plan")
        plan = support_plan_for_case(case=case)
        if plan is None:
            raise exceptions.NotFound
        return Response(SupportPlanOutputSerializer(plan).data)

    @extend_schema(
        operation_id="case_support_plan_update",
        tags=TAGS,
        description=STALE_DESCRIPTION,
        parameters=[CASE_ID_PARAMETER],
        request=InputSerializer,
        responses={200: SupportPlanOutputSerializer, 201: SupportPlanOutputSerializer},
    )
    def put(self, request, case_id):
        case = access_case_by_id(user=request.user, case_id=case_id)
        serializer = SupportPlanApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {**SupportPlanApi.CLEARED, **serializer.validated_data}
        version = data.pop("version", None)
        plan = support_plan_for_case(case=case)
        if plan is None:
            plan = support_plan_create(actor=request.user, case_id=case.pk, data=data)
            return Response(SupportPlanOutputSerializer(plan).data, status=status.HTTP_201_CREATED)
        if version is None:
            raise serializers.ValidationError(
                {"version": [serializer.fields["version"].error_messages["required"]]}
            )
        plan = support_plan_update(actor=request.user, plan_id=plan.pk, version=version, data=data)
        return Response(SupportPlanOutputSerializer(plan).data)


# Sharing a case with another mission


class CaseAccessGrantApi(APIView):
    """Let another mission's caseworkers continue a case (central administrators only)."""

    class InputSerializer(StrictInputSerializer):
        mission = mission_field()
        reason = code_field(CaseAccessReason.choices)

        class Meta:
            ref_name = "CaseAccessGrantInput"

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        case = serializers.UUIDField(source="case_id")
        mission = serializers.IntegerField(source="mission_id")
        reason = serializers.CharField()
        granted_by = serializers.IntegerField(source="granted_by_id")
        granted_at = serializers.DateTimeField()

        class Meta:
            ref_name = "CaseAccessGrant"

    permission_classes = [IsCentralAdmin]

    @extend_schema(
        operation_id="case_access_grants_create",
        tags=TAGS,
        parameters=[CASE_ID_PARAMETER],
        request=InputSerializer,
        responses={201: OutputSerializer},
    )
    def post(self, request, case_id):
        case = access_case_by_id(user=request.user, case_id=case_id)
        serializer = CaseAccessGrantApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        access = case_access_grant(actor=request.user, case_id=case.pk, **serializer.validated_data)
        return Response(
            CaseAccessGrantApi.OutputSerializer(access).data, status=status.HTTP_201_CREATED
        )


# Further trafficking details

CHANGE_ID_PARAMETER = _path_id("change_id", "further trafficking detail")
PROPOSAL_ID_PARAMETER = OpenApiParameter(
    "proposal_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The proposal's id."
)


class DetailChangeOutputSerializer(serializers.ModelSerializer):
    value = serializers.JSONField(read_only=True, allow_null=True)

    class Meta:
        model = TraffickingDetailChange
        fields = [
            "id",
            "case",
            "interview",
            "version",
            "item",
            "kind",
            "row_position",
            "value",
            "value_text",
            "reason",
            "status",
            "created_by",
            "created_at",
            "reviewed_by",
            "reviewed_at",
            "review_comment",
        ]
        read_only_fields = fields
        ref_name = "TraffickingDetailChange"


class CaseDetailChangeListApi(CaseRecordListApi):
    """The further trafficking details of one case, newest first, whatever their status."""

    serializer_class = DetailChangeOutputSerializer
    section = "trafficking_details"

    def get_queryset(self):
        return detail_change_list_for_case(case=self.get_case())

    @extend_schema(
        operation_id="case_trafficking_details_list", tags=TAGS, parameters=[CASE_ID_PARAMETER]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DetailChangeRecordApi(APIView):
    """Record an addition or a correction of one item of the trafficking profile; it waits for
    a central administrator's review. ``value`` has the shape of the screening's answer: a code,
    a list of codes, an ISO date, true/false, or for ``events`` and ``perpetrators`` an object
    with the row's answers. A ``correction`` of a row names its ``row_position`` in the current
    screening; an ``addition`` of a row adds one."""

    class InputSerializer(StrictInputSerializer):
        item = code_field(item_choices())
        kind = code_field(TraffickingDetailKind.choices)
        value = serializers.JSONField(allow_null=True)
        reason = serializers.CharField(max_length=MAX_TEXT_LENGTH)
        row_position = serializers.IntegerField(
            min_value=0, max_value=1000, required=False, allow_null=True
        )
        interview = serializers.UUIDField(required=False, allow_null=True)

        class Meta:
            ref_name = "TraffickingDetailChangeInput"

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="case_trafficking_details_create",
        tags=TAGS,
        parameters=[CASE_ID_PARAMETER],
        request=InputSerializer,
        responses={201: DetailChangeOutputSerializer},
    )
    def post(self, request, case_id):
        case = access_case_by_id(user=request.user, case_id=case_id)
        serializer = DetailChangeRecordApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        change = trafficking_detail_record(
            actor=request.user,
            case_id=case.pk,
            item=data["item"],
            kind=data["kind"],
            value=data["value"],
            reason=data["reason"],
            row_position=data.get("row_position"),
            interview_id=data.get("interview"),
        )
        return Response(DetailChangeOutputSerializer(change).data, status=status.HTTP_201_CREATED)


class CaseDetailChangeCollectionApi(CaseDetailChangeListApi, DetailChangeRecordApi):
    """``/cases/<id>/trafficking-details/``: GET lists, POST records."""


class DetailChangeReviewApi(APIView):
    """Accept or reject a further detail (central administrators only, never its author)."""

    class InputSerializer(StrictInputSerializer):
        version = serializers.IntegerField(min_value=1)
        decision = code_field([("accept", "accept"), ("reject", "reject")])
        comment = text_field()

        class Meta:
            ref_name = "TraffickingDetailReviewInput"

    permission_classes = [IsCentralAdmin]

    @extend_schema(
        operation_id="trafficking_details_review",
        tags=TAGS,
        description=STALE_DESCRIPTION,
        parameters=[CHANGE_ID_PARAMETER],
        request=InputSerializer,
        responses={200: DetailChangeOutputSerializer},
    )
    def post(self, request, change_id):
        access_detail_change_by_id(user=request.user, change_id=change_id)
        serializer = DetailChangeReviewApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        change = trafficking_detail_review(
            actor=request.user,
            change_id=change_id,
            version=data["version"],
            accept=data["decision"] == "accept",
            comment=data.get("comment", ""),
        )
        return Response(DetailChangeOutputSerializer(change).data)


class ProvenanceSerializer(serializers.Serializer):
    source = serializers.CharField(help_text="``screening``, ``change``, or empty: no answer.")
    change_id = serializers.UUIDField(allow_null=True)
    date = serializers.SerializerMethodField()
    author_id = serializers.IntegerField(allow_null=True)
    author_name = serializers.CharField()
    kind = serializers.CharField()
    reviewer_id = serializers.IntegerField(allow_null=True)
    reviewer_name = serializers.CharField()
    reviewed_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "TraffickingProfileProvenance"

    @extend_schema_field(OpenApiTypes.STR)
    def get_date(self, obj) -> str | None:
        value = obj["date"]
        return value.isoformat() if value is not None else None


class ProfileRowSerializer(serializers.Serializer):
    position = serializers.IntegerField(allow_null=True)
    value = serializers.JSONField()
    text = serializers.CharField()
    provenance = ProvenanceSerializer()

    class Meta:
        ref_name = "TraffickingProfileRow"


class ProfileItemSerializer(serializers.Serializer):
    item = serializers.CharField()
    label = serializers.CharField()
    section = serializers.CharField()
    is_rows = serializers.BooleanField()
    value = serializers.JSONField(required=False)
    text = serializers.CharField(required=False)
    display = serializers.ListField(child=serializers.CharField(), required=False)
    provenance = ProvenanceSerializer(required=False)
    rows = ProfileRowSerializer(many=True, required=False)

    class Meta:
        ref_name = "TraffickingProfileItem"


class TraffickingProfileApi(APIView):
    """The case's current trafficking profile: for each item the latest accepted further
    detail, else the current screening's answer, with where it came from; pending details
    are listed apart. The read is audited."""

    class OutputSerializer(serializers.Serializer):
        screening = serializers.UUIDField(source="screening.pk", allow_null=True, default=None)
        items = ProfileItemSerializer(many=True)
        pending = DetailChangeOutputSerializer(many=True)

        class Meta:
            ref_name = "TraffickingProfile"

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="case_trafficking_profile_retrieve",
        tags=TAGS,
        parameters=[CASE_ID_PARAMETER],
        responses={200: OutputSerializer},
    )
    def get(self, request, case_id):
        case = case_assistance_get(
            user=request.user, case_id=case_id, section="trafficking_profile"
        )
        profile = trafficking_profile_current(case=case)
        data = {
            "screening": profile["screening"],
            "items": profile["items"],
            "pending": [entry["change"] for entry in profile["pending"]],
        }
        return Response(TraffickingProfileApi.OutputSerializer(data).data)


# Sharing a case with another mission, decided by both missions


class ProposalOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseAccessProposal
        fields = [
            "id",
            "case",
            "mission",
            "proposing_mission",
            "reason",
            "status",
            "version",
            "proposed_by",
            "proposed_at",
            "decided_by",
            "withdrawn_by",
            "decided_at",
            "access",
        ]
        read_only_fields = fields
        ref_name = "CaseAccessProposal"


class CaseProposalListApi(CaseRecordListApi):
    """The sharing proposals of one case, newest first."""

    serializer_class = ProposalOutputSerializer
    section = "sharing"

    def get_queryset(self):
        return proposal_list_for_case(case=self.get_case())

    @extend_schema(
        operation_id="case_access_proposals_list", tags=TAGS, parameters=[CASE_ID_PARAMETER]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ProposalCreateApi(APIView):
    """A caseworker of the case's mission proposes sharing it with another mission, whose
    caseworkers decide. One pending proposal per case and mission."""

    class InputSerializer(StrictInputSerializer):
        mission = mission_field()
        reason = code_field(CaseAccessReason.choices)

        class Meta:
            ref_name = "CaseAccessProposalInput"

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="case_access_proposals_create",
        tags=TAGS,
        parameters=[CASE_ID_PARAMETER],
        request=InputSerializer,
        responses={201: ProposalOutputSerializer},
    )
    def post(self, request, case_id):
        case = access_case_by_id(user=request.user, case_id=case_id)
        serializer = ProposalCreateApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = case_access_propose(
            actor=request.user, case_id=case.pk, **serializer.validated_data
        )
        return Response(ProposalOutputSerializer(proposal).data, status=status.HTTP_201_CREATED)


class CaseProposalCollectionApi(CaseProposalListApi, ProposalCreateApi):
    """``/cases/<id>/access-proposals/``: GET lists, POST proposes."""


class ProposalsAwaitingApi(generics.ListAPIView):
    """Pending proposals addressed to your missions, oldest first. The case is not yours yet,
    so a row says only which case (its reference), who proposes, why and when."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        version = serializers.IntegerField()
        case_reference = serializers.CharField(source="case.reference")
        mission = serializers.CharField(source="mission.code")
        proposing_mission = serializers.CharField(source="proposing_mission.code")
        reason = serializers.CharField()
        proposed_at = serializers.DateTimeField()

        class Meta:
            ref_name = "CaseAccessProposalAwaiting"

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = DefaultPagination
    filter_backends: list = []
    serializer_class = OutputSerializer

    def get_queryset(self):
        if self.request.user.is_researcher:
            raise exceptions.NotFound
        return proposals_awaiting_decision(user=self.request.user)

    @extend_schema(operation_id="access_proposals_awaiting_list", tags=TAGS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ProposalDecideApi(APIView):
    """A caseworker of the receiving mission approves (the case is then shared) or declines.
    Refused for the proposer and for anyone who works for both missions."""

    class InputSerializer(StrictInputSerializer):
        version = serializers.IntegerField(min_value=1)
        decision = code_field([("approve", "approve"), ("decline", "decline")])

        class Meta:
            ref_name = "CaseAccessProposalDecisionInput"

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        version = serializers.IntegerField()
        status = serializers.CharField()
        access = serializers.IntegerField(source="access_id", allow_null=True)
        decided_at = serializers.DateTimeField()

        class Meta:
            ref_name = "CaseAccessProposalDecision"

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="access_proposals_decide",
        tags=TAGS,
        description=STALE_DESCRIPTION,
        parameters=[PROPOSAL_ID_PARAMETER],
        request=InputSerializer,
        responses={200: OutputSerializer},
    )
    def post(self, request, proposal_id):
        access_proposal_by_id(user=request.user, proposal_id=proposal_id)
        serializer = ProposalDecideApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        proposal = case_access_proposal_decide(
            actor=request.user,
            proposal_id=proposal_id,
            version=data["version"],
            approve=data["decision"] == "approve",
        )
        return Response(ProposalDecideApi.OutputSerializer(proposal).data)


class ProposalWithdrawApi(APIView):
    """The proposing mission withdraws a pending proposal."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="access_proposals_withdraw",
        tags=TAGS,
        description=STALE_DESCRIPTION,
        parameters=[PROPOSAL_ID_PARAMETER],
        request=VersionInputSerializer,
        responses={200: ProposalOutputSerializer},
    )
    def post(self, request, proposal_id):
        access_proposal_by_id(user=request.user, proposal_id=proposal_id)
        serializer = VersionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = case_access_proposal_withdraw(
            actor=request.user,
            proposal_id=proposal_id,
            version=serializer.validated_data["version"],
        )
        return Response(ProposalOutputSerializer(proposal).data)


class CaseAccessRevokeApi(APIView):
    """End a mission's sharing of a case, however it was granted (central administrators
    only). The mission's caseworkers lose the case at once."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        case = serializers.UUIDField(source="case_id")
        mission = serializers.IntegerField(source="mission_id")
        revoked_by = serializers.IntegerField(source="revoked_by_id")
        revoked_at = serializers.DateTimeField()

        class Meta:
            ref_name = "CaseAccessRevocation"

    permission_classes = [IsCentralAdmin]

    @extend_schema(
        operation_id="case_access_grants_revoke",
        tags=TAGS,
        parameters=[
            OpenApiParameter(
                "access_id",
                OpenApiTypes.INT,
                OpenApiParameter.PATH,
                description="The sharing's id.",
            )
        ],
        request=None,
        responses={200: OutputSerializer},
    )
    def post(self, request, access_id):
        access = case_access_revoke(actor=request.user, access_id=access_id)
        return Response(CaseAccessRevokeApi.OutputSerializer(access).data)
