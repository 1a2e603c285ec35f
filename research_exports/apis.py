"""The research REST API: the same services as the researchers' pages.

Scope rules:

- Every endpoint but the mart's is for researchers only; any other signed-in user gets the one
  404, so the endpoints do not advertise themselves. Anonymous requests get 403.
- An extract is its requester's alone: another researcher's extract is the same 404 as a
  missing one (``extract_get``).
- Only ``Extract.result`` (the disclosure-controlled table) is ever returned, never mart rows.
- The mart endpoint is for central administrators: snapshot bookkeeping and a rebuild request.
"""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.pagination import DefaultPagination
from config.api.permissions import IsCentralAdmin, IsResearcher, IsResearcherOrCentralAdmin
from config.api.serializers import StrictInputSerializer

from .extracts import (
    extract_file_for_download,
    extract_get,
    extract_list,
    extract_request,
    extract_retry,
)
from .forms import FILTER_FIELDS, YEAR_MAX, YEAR_MIN
from .mart import mart_rebuild_request
from .models import Extract, ExtractMode, MartSnapshot, ResearchRelease
from .releases import release_list, release_publish
from .throttles import ResearchRateThrottle
from .variables import MAX_DIMENSIONS, VARIABLES
from .views import REBUILD_JOINED_MESSAGE, REBUILD_REQUESTED_MESSAGE

MAX_FILTER_CODES = 300
SNAPSHOTS_SHOWN = 20
EXTRACT_ID_PARAMETER = OpenApiParameter(
    "extract_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The extract's id."
)


class VariableOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    description = serializers.CharField()
    ctdc_name = serializers.CharField()
    multi_valued = serializers.BooleanField()


class VariableListApi(APIView):
    permission_classes = [IsResearcher]
    throttle_classes = [ResearchRateThrottle]

    @extend_schema(
        operation_id="research_variables_list",
        description="The variables an extract can count people by, with their CTDC names.",
        responses={200: VariableOutputSerializer(many=True)},
    )
    def get(self, request):
        return Response(VariableOutputSerializer(VARIABLES.values(), many=True).data)


class CountSerializer(serializers.Serializer):
    values = serializers.ListField(child=serializers.CharField())
    count = serializers.IntegerField(
        allow_null=True,
        help_text=(
            "Null when 0 or hidden: nobody, or withheld by disclosure control (the two are "
            "published alike on purpose)."
        ),
    )


class ResultSerializer(serializers.Serializer):
    dimensions = serializers.ListField(child=serializers.CharField())
    rows = CountSerializer(many=True)
    row_totals = CountSerializer(many=True)
    column_totals = CountSerializer(many=True)
    grand_total = serializers.IntegerField(allow_null=True)


class ExtractSummaryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Extract
        fields = [
            "id",
            "status",
            "progress",
            "message",
            "dimensions",
            "filters",
            "format",
            "mode",
            "release",
            "epsilon",
            "mechanism",
            "delta",
            "created_at",
            "finished_at",
            "expires_at",
        ]
        read_only_fields = fields


class ExtractDetailOutputSerializer(ExtractSummaryOutputSerializer):
    """The status, and once the extract succeeded its published table and disclosure report."""

    result = serializers.SerializerMethodField()
    report = serializers.SerializerMethodField()

    class Meta(ExtractSummaryOutputSerializer.Meta):
        fields = [*ExtractSummaryOutputSerializer.Meta.fields, "result", "report"]
        read_only_fields = fields

    @extend_schema_field(ResultSerializer(allow_null=True))
    def get_result(self, extract: Extract) -> dict | None:
        return extract.result if extract.status == Extract.Status.SUCCEEDED else None

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_report(self, extract: Extract) -> dict | None:
        return extract.report if extract.status == Extract.Status.SUCCEEDED else None


def _codes() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=3),
        max_length=MAX_FILTER_CODES,
        required=False,
    )


class ExtractRequestInputSerializer(StrictInputSerializer):
    """Shapes only: which variables and codes exist is the service's decision."""

    dimensions = serializers.ListField(
        child=serializers.CharField(max_length=40),
        help_text=f"1 to {MAX_DIMENSIONS} variable names (see research/variables).",
    )
    year_from = serializers.IntegerField(
        min_value=YEAR_MIN, max_value=YEAR_MAX, required=False, allow_null=True
    )
    year_to = serializers.IntegerField(
        min_value=YEAR_MIN, max_value=YEAR_MAX, required=False, allow_null=True
    )
    citizenship = _codes()
    country_of_exploitation = _codes()
    exploitation_type = serializers.CharField(max_length=64, required=False, allow_blank=True)
    file_format = serializers.ChoiceField(choices=Extract.Format.choices)
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        default="en",
        help_text="Language of the data dictionary, labels and report; codes are the same.",
    )
    # Differential privacy: the service validates ε, δ and the mechanism and spends the ε.
    mode = serializers.ChoiceField(
        choices=ExtractMode.choices, required=False, default=ExtractMode.SUPPRESSED
    )
    epsilon = serializers.CharField(max_length=20, required=False, allow_blank=True)
    mechanism = serializers.CharField(max_length=12, required=False, allow_blank=True)
    delta = serializers.CharField(max_length=20, required=False, allow_blank=True)
    release = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Suppressed counts: the release to read (see research/releases); the latest "
        "when left out.",
    )

    def filters(self) -> dict:
        data = self.validated_data
        return {name: data[name] for name in FILTER_FIELDS if data.get(name) not in (None, "", [])}


class ExtractCollectionApi(generics.ListAPIView):
    """``research/extracts/``: GET lists the researcher's extracts, POST requests one."""

    permission_classes = [IsResearcher]
    throttle_classes = [ResearchRateThrottle]
    pagination_class = DefaultPagination
    filter_backends: list = []
    serializer_class = ExtractSummaryOutputSerializer

    def get_queryset(self):
        return extract_list(user=self.request.user)

    @extend_schema(
        operation_id="research_extracts_list",
        description="Your extracts, newest first.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="research_extracts_create",
        description=(
            "Request an extract; it is built in the background. Poll its status with "
            "research_extracts_retrieve."
        ),
        request=ExtractRequestInputSerializer,
        responses={201: ExtractSummaryOutputSerializer},
    )
    def post(self, request):
        serializer = ExtractRequestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        extract = extract_request(
            actor=request.user,
            dimensions=serializer.validated_data["dimensions"],
            filters=serializer.filters(),
            file_format=serializer.validated_data["file_format"],
            mode=serializer.validated_data["mode"],
            epsilon=serializer.validated_data.get("epsilon"),
            mechanism=serializer.validated_data.get("mechanism", ""),
            delta=serializer.validated_data.get("delta") or 0,
            release=serializer.validated_data.get("release"),
            language=serializer.validated_data["language"],
        )
        return Response(
            ExtractSummaryOutputSerializer(extract).data, status=status.HTTP_201_CREATED
        )


class ExtractDetailApi(APIView):
    permission_classes = [IsResearcher]
    throttle_classes = [ResearchRateThrottle]

    @extend_schema(
        operation_id="research_extracts_retrieve",
        description="Status and progress; the published table once the extract succeeded.",
        parameters=[EXTRACT_ID_PARAMETER],
        responses={200: ExtractDetailOutputSerializer},
    )
    def get(self, request, extract_id):
        extract = extract_get(user=request.user, extract_id=extract_id)
        return Response(ExtractDetailOutputSerializer(extract).data)


class ExtractRetryApi(APIView):
    permission_classes = [IsResearcher]
    throttle_classes = [ResearchRateThrottle]

    @extend_schema(
        operation_id="research_extracts_retry",
        description="Queue a failed extract again.",
        parameters=[EXTRACT_ID_PARAMETER],
        request=None,
        responses={202: ExtractSummaryOutputSerializer},
    )
    def post(self, request, extract_id):
        extract = extract_retry(actor=request.user, extract_id=extract_id)
        return Response(
            ExtractSummaryOutputSerializer(extract).data, status=status.HTTP_202_ACCEPTED
        )


class ExtractDownloadApi(APIView):
    permission_classes = [IsResearcher]
    throttle_classes = [ResearchRateThrottle]

    @extend_schema(
        operation_id="research_extracts_download",
        description="The extract's zip file (table, data dictionary, disclosure report). Audited.",
        parameters=[EXTRACT_ID_PARAMETER],
        responses={
            (200, "application/zip"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The extract's zip file."
            )
        },
    )
    def get(self, request, extract_id):
        path, filename = extract_file_for_download(user=request.user, extract_id=extract_id)
        return FileResponse(path.open("rb"), as_attachment=True, filename=filename)


class SnapshotOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = MartSnapshot
        fields = [
            "id",
            "status",
            "source",
            "is_current",
            "row_count",
            "created_at",
            "completed_at",
        ]
        read_only_fields = fields


class MessageOutputSerializer(serializers.Serializer):
    message = serializers.CharField()


class RebuildOutputSerializer(MessageOutputSerializer):
    snapshot = serializers.IntegerField(help_text="The snapshot the rebuild fills.")
    joined = serializers.BooleanField(
        help_text="True when a rebuild was already pending or running and this request joined it."
    )


class MartApi(APIView):
    """``research/mart/``: central administrators list snapshots (GET) or ask for a rebuild."""

    permission_classes = [IsCentralAdmin]
    throttle_classes = [ResearchRateThrottle]

    @extend_schema(
        operation_id="research_mart_snapshots_list",
        description="The newest research mart snapshots: status and size, never data.",
        responses={200: SnapshotOutputSerializer(many=True)},
    )
    def get(self, request):
        snapshots = MartSnapshot.objects.all()[:SNAPSHOTS_SHOWN]
        return Response(SnapshotOutputSerializer(snapshots, many=True).data)

    @extend_schema(
        operation_id="research_mart_rebuild",
        description=(
            "Rebuild the research mart now, on a worker. One at a time: while a requested "
            "rebuild is pending or running, a later request joins it."
        ),
        request=None,
        responses={202: RebuildOutputSerializer},
    )
    def post(self, request):
        snapshot, joined = mart_rebuild_request(actor=request.user)
        message = REBUILD_JOINED_MESSAGE if joined else REBUILD_REQUESTED_MESSAGE
        return Response(
            {"message": str(message), "snapshot": snapshot.pk, "joined": joined},
            status=status.HTTP_202_ACCEPTED,
        )


class ReleaseOutputSerializer(serializers.ModelSerializer):
    row_count = serializers.IntegerField(source="snapshot.row_count", read_only=True)

    class Meta:
        model = ResearchRelease
        fields = ["id", "name", "published_at", "snapshot", "row_count"]
        read_only_fields = fields


class ReleasePublishInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    snapshot = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class ReleaseCollectionApi(generics.ListAPIView):
    """``research/releases/``: GET lists published releases (researchers and central
    administrators), POST publishes one (central administrators)."""

    permission_classes = [IsResearcherOrCentralAdmin]
    throttle_classes = [ResearchRateThrottle]
    pagination_class = DefaultPagination
    filter_backends: list = []
    serializer_class = ReleaseOutputSerializer

    def get_queryset(self):
        return release_list()

    @extend_schema(
        operation_id="research_releases_list",
        description="Published releases, newest first. Suppressed extracts read the latest.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="research_releases_publish",
        description=(
            "Publish a built mart snapshot (the current one unless ``snapshot`` is given) as "
            "a release. Central administrators only; audited."
        ),
        request=ReleasePublishInputSerializer,
        responses={201: ReleaseOutputSerializer},
    )
    def post(self, request):
        if not request.user.sees_all_missions:
            # Researchers read releases; publishing one is not there for them at all.
            raise exceptions.NotFound
        serializer = ReleasePublishInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        release = release_publish(
            actor=request.user,
            name=serializer.validated_data["name"],
            snapshot_id=serializer.validated_data.get("snapshot"),
        )
        return Response(ReleaseOutputSerializer(release).data, status=status.HTTP_201_CREATED)
