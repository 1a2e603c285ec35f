"""The privacy budget API: researchers read their own budget and ledger; central
administrators read everyone's and set budgets. Everyone else gets the one 404."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.pagination import DefaultPagination
from config.api.permissions import IsCentralAdmin, IsResearcher
from config.api.serializers import StrictInputSerializer

from ..apis import ExtractRequestInputSerializer
from ..extracts import extract_request_check
from ..throttles import ResearchRateThrottle
from . import ledger
from .estimate import extract_estimate
from .models import PrivacyBudget, PrivacyLedgerEntry


class IsResearcherOrCentralAdmin(permissions.IsAuthenticated):
    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        user = request.user
        if not (user.is_researcher or user.sees_all_missions):
            raise exceptions.NotFound
        return True


class BudgetOutputSerializer(serializers.ModelSerializer):
    researcher = serializers.IntegerField(source="researcher_id")
    remaining = serializers.DecimalField(max_digits=8, decimal_places=4)

    class Meta:
        model = PrivacyBudget
        fields = ["researcher", "year", "allowance", "spent", "remaining", "is_override"]
        read_only_fields = fields


class OwnBudgetOutputSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    allowance = serializers.DecimalField(max_digits=8, decimal_places=4)
    spent = serializers.DecimalField(max_digits=8, decimal_places=4)
    remaining = serializers.DecimalField(max_digits=8, decimal_places=4)


class LedgerEntryOutputSerializer(serializers.ModelSerializer):
    researcher = serializers.IntegerField(source="researcher_id")

    class Meta:
        model = PrivacyLedgerEntry
        fields = ["id", "researcher", "year", "kind", "epsilon", "remaining_after", "extract_id"]
        read_only_fields = fields


class BudgetSetInputSerializer(StrictInputSerializer):
    researcher = serializers.CharField(max_length=20)
    year = serializers.CharField(max_length=8)
    allowance = serializers.CharField(max_length=20)


class OwnBudgetApi(APIView):
    """``research/privacy/budget/``: this year's budget of the signed-in researcher."""

    permission_classes = [IsResearcher]

    @extend_schema(
        operation_id="research_privacy_budget_retrieve",
        description="Your privacy budget (ε) for this calendar year: allowed, spent, left.",
        responses={200: OwnBudgetOutputSerializer},
    )
    def get(self, request):
        year = ledger.current_year()
        budget = PrivacyBudget.objects.filter(researcher=request.user, year=year).first()
        allowance = budget.allowance if budget else ledger.default_allowance()
        spent = budget.spent if budget else 0
        data = {
            "year": year,
            "allowance": allowance,
            "spent": spent,
            "remaining": ledger.budget_remaining(researcher=request.user, year=year),
        }
        return Response(OwnBudgetOutputSerializer(data).data)


class LedgerListApi(generics.ListAPIView):
    """``research/privacy/ledger/``: researchers their own movements, administrators all."""

    permission_classes = [IsResearcherOrCentralAdmin]
    pagination_class = DefaultPagination
    filter_backends: list = []
    serializer_class = LedgerEntryOutputSerializer

    def get_queryset(self):
        researcher = self.request.query_params.get("researcher", "")
        researcher_id = int(researcher) if researcher.isdigit() else None
        return ledger.ledger_list(user=self.request.user, researcher_id=researcher_id)

    @extend_schema(
        operation_id="research_privacy_ledger_list",
        description="Privacy budget movements, newest first (append-only).",
        parameters=[OpenApiParameter("researcher", int, description="Administrators only.")],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class BudgetCollectionApi(generics.ListAPIView):
    """``research/privacy/budgets/``: central administrators list (GET) and set (POST)."""

    permission_classes = [IsCentralAdmin]
    pagination_class = DefaultPagination
    filter_backends: list = []
    serializer_class = BudgetOutputSerializer

    def get_queryset(self):
        return ledger.budget_list(user=self.request.user)

    @extend_schema(operation_id="research_privacy_budgets_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="research_privacy_budgets_set",
        description="Set a researcher's ε for a calendar year. Audited.",
        request=BudgetSetInputSerializer,
        responses={200: BudgetOutputSerializer},
    )
    def post(self, request):
        serializer = BudgetSetInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        budget = ledger.budget_set(
            actor=request.user,
            researcher_id=serializer.validated_data["researcher"],
            year=serializer.validated_data["year"],
            allowance=serializer.validated_data["allowance"],
        )
        return Response(BudgetOutputSerializer(budget).data, status=status.HTTP_200_OK)


class EstimateInputSerializer(ExtractRequestInputSerializer):
    """The extract request's fields; the file format does not change the estimate."""

    file_format = serializers.CharField(max_length=8, required=False, allow_blank=True)


class EstimateOutputSerializer(serializers.Serializer):
    mode = serializers.CharField()
    dimensions = serializers.ListField(child=serializers.CharField())
    cells = serializers.IntegerField(allow_null=True)
    epsilon = serializers.CharField(allow_null=True)
    mechanism = serializers.CharField(allow_null=True)
    delta = serializers.FloatField(allow_null=True)
    sensitivity = serializers.IntegerField(allow_null=True)
    cell_margin = serializers.IntegerField(allow_null=True, help_text="95 % margin, people.")
    grand_margin = serializers.IntegerField(allow_null=True)
    suggest_dp = serializers.BooleanField()
    budget_remaining = serializers.DecimalField(max_digits=8, decimal_places=4)


class EstimateApi(APIView):
    """``research/privacy/estimate/``: what a request would cost and how precise it would be.

    Spends nothing and records nothing; the figures come from the declared domain and the
    noise parameters, not from the data (see ``privacy/estimate.py``).
    """

    permission_classes = [IsResearcher]
    throttle_classes = [ResearchRateThrottle]

    @extend_schema(
        operation_id="research_privacy_estimate",
        description=(
            "Cells and 95 % margin of error of an extract before requesting it; for "
            "suppressed counts, whether differentially private counts are suggested."
        ),
        request=EstimateInputSerializer,
        responses={200: EstimateOutputSerializer},
    )
    def post(self, request):
        serializer = EstimateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        dimensions, filters, dp_fields = extract_request_check(
            dimensions=data["dimensions"],
            filters=serializer.filters(),
            mode=data["mode"],
            epsilon=data.get("epsilon"),
            mechanism=data.get("mechanism", ""),
            delta=data.get("delta") or 0,
        )
        estimate = extract_estimate(
            dimensions=dimensions, filters=filters, mode=data["mode"], dp_fields=dp_fields
        )
        body = {
            **estimate.as_dict(),
            "budget_remaining": ledger.budget_remaining(researcher=request.user),
        }
        return Response(EstimateOutputSerializer(body).data)
