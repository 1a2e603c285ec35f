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

from . import ledger
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
