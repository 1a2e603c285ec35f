"""The reintegration REST API: the same services and selectors as the HTML pages.

Every record is reached through its case (``Case.objects.visible_to``): a record or case outside
the user's scope gets the same 404 as a missing one; researchers get 404 on every endpoint.
Writes check scope before they look at the body. Reads that show goals or notes are audited.
A stale ``version`` is refused with 409 and nothing is written.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from assistance.models import Provider
from assistance.serializers import code_field, organisation_field, text_field, user_field
from cases.selectors import access_case_by_id
from config.api.pagination import DefaultPagination
from config.api.serializers import StrictInputSerializer

from .models import (
    Dimension,
    EconomicReason,
    MonitoringVisit,
    PsychosocialReason,
    ReintegrationAssistance,
    ReintegrationOption,
    SocialReason,
)
from .selectors import (
    access_item_by_id,
    access_visit_by_id,
    assistance_list_for_case,
    case_reintegration_get,
    plan_for_case,
    visit_list_for_case,
)
from .services import (
    MAX_SCHEDULE_MONTH,
    assistance_record,
    assistance_status_change,
    plan_create,
    plan_update,
    visit_add,
    visit_record,
)

TAGS = ["reintegration"]
STALE_DESCRIPTION = (
    "``version`` is the one last read; if the record changed since, the answer is 409 and "
    "nothing is written."
)


def _path_id(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.UUID, OpenApiParameter.PATH, description=f"The {what}'s id."
    )


CASE_ID_PARAMETER = _path_id("case_id", "case")
ITEM_ID_PARAMETER = _path_id("reintegration_item_id", "reintegration assistance item")
VISIT_ID_PARAMETER = _path_id("visit_id", "monitoring visit")


class PlanOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    case = serializers.UUIDField(source="case_id")
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    needs = serializers.CharField()
    skills = serializers.CharField()
    family_situation = serializers.CharField()
    risks = serializers.CharField()
    economic_goals = serializers.CharField()
    social_goals = serializers.CharField()
    psychosocial_goals = serializers.CharField()
    start_date = serializers.DateField()
    monitoring_months = serializers.ListField(child=serializers.IntegerField())
    anchor_date = serializers.DateField()
    anchor_source = serializers.CharField()

    class Meta:
        ref_name = "ReintegrationPlan"


class ItemOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    case = serializers.UUIDField(source="case_id")
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    option = serializers.CharField()
    dimension = serializers.CharField()
    provider = serializers.CharField()
    organisation = serializers.IntegerField(source="organisation_id", allow_null=True)
    status = serializers.CharField()
    start_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)
    # An exact amount: a string, never a float that could lose cents.
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, coerce_to_string=True, allow_null=True
    )
    currency = serializers.CharField()
    notes = serializers.CharField()

    class Meta:
        ref_name = "ReintegrationAssistance"


class VisitOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    case = serializers.UUIDField(source="case_id")
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    schedule_month = serializers.IntegerField(allow_null=True)
    planned_date = serializers.DateField()
    status = serializers.CharField()
    done_date = serializers.DateField(allow_null=True)
    visited_by = serializers.IntegerField(source="visited_by_id", allow_null=True)
    mode = serializers.CharField()
    economic_score = serializers.IntegerField(allow_null=True)
    economic_reason = serializers.CharField()
    social_score = serializers.IntegerField(allow_null=True)
    social_reason = serializers.CharField()
    psychosocial_score = serializers.IntegerField(allow_null=True)
    psychosocial_reason = serializers.CharField()
    retrafficked = serializers.BooleanField()
    notes = serializers.CharField()

    class Meta:
        ref_name = "MonitoringVisit"


class CaseRecordListApi(generics.ListAPIView):
    """A paginated list of one case's records; the read is audited once per page."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = DefaultPagination
    filter_backends: list = []
    section = ""

    def get_case(self):
        return case_reintegration_get(
            user=self.request.user, case_id=self.kwargs["case_id"], section=self.section
        )


# Plan


class PlanApi(APIView):
    """The case's one reintegration plan. GET is 404 while the case has none.

    PUT replaces the plan: it creates it (201, scheduling the monitoring visits) when there is
    none yet, and otherwise needs the ``version`` last read (409 if stale). Text fields not
    sent are cleared; a changed ``monitoring_months`` re-plans the visits not yet done.
    """

    class InputSerializer(StrictInputSerializer):
        version = serializers.IntegerField(min_value=1, required=False)
        needs = text_field()
        skills = text_field()
        family_situation = text_field()
        risks = text_field()
        economic_goals = text_field()
        social_goals = text_field()
        psychosocial_goals = text_field()
        start_date = serializers.DateField()
        # Rules (positive, increasing, at most 60) are the service's, in the one error shape.
        monitoring_months = serializers.ListField(
            child=serializers.IntegerField(), max_length=MAX_SCHEDULE_MONTH, required=False
        )

        class Meta:
            ref_name = "ReintegrationPlanInput"

    CLEARED = {
        "needs": "",
        "skills": "",
        "family_situation": "",
        "risks": "",
        "economic_goals": "",
        "social_goals": "",
        "psychosocial_goals": "",
    }

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="case_reintegration_plan_retrieve",
        tags=TAGS,
        parameters=[CASE_ID_PARAMETER],
        responses={200: PlanOutputSerializer},
    )
    def get(self, request, case_id):
        case = case_reintegration_get(
            user=request.user, case_id=case_id, section="reintegration_plan"
        )
        plan = plan_for_case(case=case)
        if plan is None:
            raise exceptions.NotFound
        return Response(PlanOutputSerializer(plan).data)

    @extend_schema(
        operation_id="case_reintegration_plan_update",
        tags=TAGS,
        description=STALE_DESCRIPTION,
        parameters=[CASE_ID_PARAMETER],
        request=InputSerializer,
        responses={200: PlanOutputSerializer, 201: PlanOutputSerializer},
    )
    def put(self, request, case_id):
        case = access_case_by_id(user=request.user, case_id=case_id)
        serializer = PlanApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {**PlanApi.CLEARED, **serializer.validated_data}
        version = data.pop("version", None)
        plan = plan_for_case(case=case)
        if plan is None:
            plan = plan_create(actor=request.user, case_id=case.pk, data=data)
            return Response(PlanOutputSerializer(plan).data, status=status.HTTP_201_CREATED)
        if version is None:
            raise serializers.ValidationError(
                {"version": [serializer.fields["version"].error_messages["required"]]}
            )
        plan = plan_update(actor=request.user, plan_id=plan.pk, version=version, data=data)
        return Response(PlanOutputSerializer(plan).data)


# Reintegration assistance


class CaseItemListApi(CaseRecordListApi):
    """The reintegration assistance of one case, newest first."""

    serializer_class = ItemOutputSerializer
    section = "reintegration_assistance"

    def get_queryset(self):
        return assistance_list_for_case(case=self.get_case())

    @extend_schema(
        operation_id="case_reintegration_assistance_list",
        tags=TAGS,
        parameters=[CASE_ID_PARAMETER],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ItemRecordApi(APIView):
    """Record reintegration support. Its dimension follows from the option. ``amount`` is an
    exact decimal string with an ISO 4217 ``currency``."""

    class InputSerializer(StrictInputSerializer):
        option = code_field(ReintegrationOption.choices)
        provider = code_field(Provider.choices)
        organisation = organisation_field(required=False, allow_null=True)
        status = code_field(ReintegrationAssistance.Status.choices, required=False)
        start_date = serializers.DateField(required=False, allow_null=True)
        end_date = serializers.DateField(required=False, allow_null=True)
        # Text, not a number: the service parses it exactly and explains what is wrong.
        amount = serializers.CharField(
            required=False, allow_blank=True, allow_null=True, max_length=32
        )
        currency = serializers.CharField(required=False, allow_blank=True, max_length=8)
        notes = text_field()

        class Meta:
            ref_name = "ReintegrationAssistanceInput"

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="case_reintegration_assistance_create",
        tags=TAGS,
        parameters=[CASE_ID_PARAMETER],
        request=InputSerializer,
        responses={201: ItemOutputSerializer},
    )
    def post(self, request, case_id):
        case = access_case_by_id(user=request.user, case_id=case_id)
        serializer = ItemRecordApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = assistance_record(actor=request.user, case_id=case.pk, **serializer.validated_data)
        return Response(ItemOutputSerializer(item).data, status=status.HTTP_201_CREATED)


class CaseItemCollectionApi(CaseItemListApi, ItemRecordApi):
    """``/cases/<id>/reintegration-assistance/``: GET lists, POST records."""


class ItemStatusChangeApi(APIView):
    """Move an item on (in progress, provided, declined by the person, cancelled)."""

    class InputSerializer(StrictInputSerializer):
        version = serializers.IntegerField(min_value=1)
        status = code_field(ReintegrationAssistance.Status.choices)
        end_date = serializers.DateField(required=False, allow_null=True)

        class Meta:
            ref_name = "ReintegrationAssistanceStatusInput"

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="reintegration_assistance_partial_update",
        tags=TAGS,
        description=STALE_DESCRIPTION,
        parameters=[ITEM_ID_PARAMETER],
        request=InputSerializer,
        responses={200: ItemOutputSerializer},
    )
    def patch(self, request, reintegration_item_id):
        access_item_by_id(user=request.user, item_id=reintegration_item_id)
        serializer = ItemStatusChangeApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        item = assistance_status_change(
            actor=request.user,
            item_id=reintegration_item_id,
            version=data["version"],
            to_status=data["status"],
            end_date=data.get("end_date"),
        )
        return Response(ItemOutputSerializer(item).data)


# Monitoring visits


class CaseVisitListApi(CaseRecordListApi):
    """The monitoring visits of one case, oldest planned date first."""

    serializer_class = VisitOutputSerializer
    section = "monitoring_visits"

    def get_queryset(self):
        return visit_list_for_case(case=self.get_case())

    @extend_schema(
        operation_id="case_monitoring_visits_list", tags=TAGS, parameters=[CASE_ID_PARAMETER]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class VisitAddApi(APIView):
    """Plan an extra monitoring visit, outside the plan's schedule (the plan must exist)."""

    class InputSerializer(StrictInputSerializer):
        planned_date = serializers.DateField()

        class Meta:
            ref_name = "MonitoringVisitInput"

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="case_monitoring_visits_create",
        tags=TAGS,
        parameters=[CASE_ID_PARAMETER],
        request=InputSerializer,
        responses={201: VisitOutputSerializer},
    )
    def post(self, request, case_id):
        case = access_case_by_id(user=request.user, case_id=case_id)
        serializer = VisitAddApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visit = visit_add(
            actor=request.user,
            case_id=case.pk,
            planned_date=serializer.validated_data["planned_date"],
        )
        return Response(VisitOutputSerializer(visit).data, status=status.HTTP_201_CREATED)


class CaseVisitCollectionApi(CaseVisitListApi, VisitAddApi):
    """``/cases/<id>/monitoring-visits/``: GET lists, POST plans an extra visit."""


class VisitRecordApi(APIView):
    """Record a visit as done: all three dimensions scored 1–5 with a coded reason.
    ``retrafficked: true`` flags the case as re-trafficking in the same transaction."""

    class InputSerializer(StrictInputSerializer):
        version = serializers.IntegerField(min_value=1)
        done_date = serializers.DateField()
        mode = code_field(MonitoringVisit.Mode.choices)
        visited_by = user_field(required=False, allow_null=True)
        # The 1–5 range is the service's rule, reported in the one error shape.
        economic_score = serializers.IntegerField()
        economic_reason = code_field(EconomicReason.choices)
        social_score = serializers.IntegerField()
        social_reason = code_field(SocialReason.choices)
        psychosocial_score = serializers.IntegerField()
        psychosocial_reason = code_field(PsychosocialReason.choices)
        retrafficked = serializers.BooleanField(required=False)
        notes = text_field()

        class Meta:
            ref_name = "MonitoringVisitRecordInput"

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="monitoring_visits_record",
        tags=TAGS,
        description=STALE_DESCRIPTION,
        parameters=[VISIT_ID_PARAMETER],
        request=InputSerializer,
        responses={200: VisitOutputSerializer},
    )
    def post(self, request, visit_id):
        access_visit_by_id(user=request.user, visit_id=visit_id)
        serializer = VisitRecordApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        visit = visit_record(
            actor=request.user,
            visit_id=visit_id,
            version=data["version"],
            done_date=data["done_date"],
            mode=data["mode"],
            visited_by=data.get("visited_by"),
            scores={d: data[f"{d}_score"] for d in Dimension.values},
            reasons={d: data[f"{d}_reason"] for d in Dimension.values},
            retrafficked=data.get("retrafficked", False),
            notes=data.get("notes", ""),
        )
        return Response(VisitOutputSerializer(visit).data)
