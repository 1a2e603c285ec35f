"""The screening REST API: the same services and selectors as the HTML pages.

Scope rules:

- Every screening is reached through its case (``Case.objects.visible_to``): a screening or
  case outside the user's scope gets the same 404 as a missing one; researchers get 404 on
  every endpoint.
- The review queue and the review itself exist only for central administrators: anyone else
  gets the one 404, as on the HTML pages, so the endpoints do not advertise themselves.
- Answers are validated per section against the vocabularies before the service sees them;
  every error is keyed like the service's, by answer name (``means_of_control``) or row
  (``events.0.country``).

Writes answer with a summary that carries no answer text; the full screening is only
returned by the audited detail read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from cases.selectors import access_case_by_id
from config.api.pagination import DefaultPagination
from config.api.permissions import IsCentralAdmin
from config.api.serializers import StrictInputSerializer

from .sections import SECTION_KEYS, SECTIONS
from .selectors import (
    access_screening_by_id,
    review_queue,
    screening_get,
    screening_list_for_case,
)
from .serializers import (
    ANSWER_SERIALIZERS,
    MAX_ROWS,
    MAX_TEXT_LENGTH,
    ROW_SERIALIZERS,
    ScreeningDetailOutputSerializer,
    ScreeningSummaryOutputSerializer,
)
from .services import (
    determination_review,
    screening_section_save,
    screening_start,
    screening_submit,
)

CASE_ID_PARAMETER = OpenApiParameter(
    "case_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The case's id."
)
SCREENING_ID_PARAMETER = OpenApiParameter(
    "screening_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The screening's id."
)
SECTION_PARAMETER = OpenApiParameter(
    "section",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=list(SECTION_KEYS),
    description="The section to save; its answers are those of the matching request schema.",
)


class CaseScreeningListApi(generics.ListAPIView):
    """The screenings of one case, newest first."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = DefaultPagination
    filter_backends: list = []
    serializer_class = ScreeningSummaryOutputSerializer

    def get_queryset(self):
        case = access_case_by_id(user=self.request.user, case_id=self.kwargs["case_id"])
        return screening_list_for_case(case=case)

    @extend_schema(
        operation_id="case_screenings_list",
        description="The screenings of one case, newest first.",
        parameters=[CASE_ID_PARAMETER],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ScreeningStartApi(APIView):
    """Start a screening of a case (one open screening per case)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="case_screenings_start",
        description="Start a screening of a case (one open screening per case).",
        parameters=[CASE_ID_PARAMETER],
        request=None,
        responses={201: ScreeningSummaryOutputSerializer},
    )
    def post(self, request, case_id):
        screening = screening_start(actor=request.user, case_id=case_id)
        return Response(
            ScreeningSummaryOutputSerializer(screening).data, status=status.HTTP_201_CREATED
        )


class CaseScreeningCollectionApi(CaseScreeningListApi, ScreeningStartApi):
    """``/cases/<id>/screenings/``: GET is ``CaseScreeningListApi``, POST ``ScreeningStartApi``."""


class ScreeningDetailApi(APIView):
    """One screening with every answer. The read is audited (``screening_get``)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="screenings_retrieve",
        parameters=[SCREENING_ID_PARAMETER],
        responses={200: ScreeningDetailOutputSerializer},
    )
    def get(self, request, screening_id):
        screening = screening_get(user=request.user, screening_id=screening_id)
        return Response(ScreeningDetailOutputSerializer(screening).data)


def _section_input_serializer(key: str) -> type[serializers.Serializer]:
    section = SECTIONS[key]
    name = f"Screening{key.title()}SectionInput"
    attrs: dict[str, Any] = {
        "version": serializers.IntegerField(min_value=1),
        "answers": ANSWER_SERIALIZERS[key](required=False),
        "Meta": type("Meta", (), {"ref_name": name}),
    }
    if "rows" in section:
        attrs["rows"] = ROW_SERIALIZERS[section["rows"]](
            many=True, required=False, max_length=MAX_ROWS
        )
    return type(name, (StrictInputSerializer,), attrs)


def _walk(detail: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(detail, dict):
        for key, value in detail.items():
            yield from _walk(value, (*path, str(key)))
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            if isinstance(item, dict | list):
                yield from _walk(item, (*path, str(index)))
            else:
                yield path, str(item)
    else:
        yield path, str(detail)


def _section_errors(detail: Any, *, row_kind: str | None) -> dict[str, list[str]]:
    """Serializer errors keyed like the service's: by answer name, or ``events.0.country``.

    A code list's errors go to the list itself (``means_of_control``), not to the item.
    """
    errors: dict[str, list[str]] = {}
    for path, message in _walk(detail):
        head = path[0]
        rest = [segment for segment in path[1:] if segment != api_settings.NON_FIELD_ERRORS_KEY]
        if head == "answers" and rest:
            key = rest[0]
        elif head == "rows" and row_kind:
            key = ".".join((row_kind, *rest[:2]))
        else:
            key = head
        errors.setdefault(key, []).append(message)
    return errors


class ScreeningSectionSaveApi(APIView):
    """Save one section as a draft; ``version`` must be the one the client last read.

    ``version`` is always required. ``answers`` holds the section's answers (only those
    sent change); ``rows``, for the ``route`` and ``exploitation`` sections, replaces the
    route events or the perpetrators. A stale ``version`` is refused with 409 and nothing
    is written.
    """

    InputSerializers = {key: _section_input_serializer(key) for key in SECTIONS}
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="screenings_section_save",
        parameters=[SCREENING_ID_PARAMETER, SECTION_PARAMETER],
        request=PolymorphicProxySerializer(
            component_name="ScreeningSectionInput",
            serializers=list(InputSerializers.values()),
            resource_type_field_name=None,
        ),
        responses={200: ScreeningSummaryOutputSerializer},
    )
    def patch(self, request, screening_id, section):
        # Scope first: out of scope must be the missing-record 404 whatever the body holds.
        access_screening_by_id(user=request.user, screening_id=screening_id)
        if section not in SECTIONS:
            raise exceptions.NotFound
        serializer = self.InputSerializers[section](data=request.data)
        if not serializer.is_valid():
            row_kind = SECTIONS[section].get("rows")
            raise serializers.ValidationError(_section_errors(serializer.errors, row_kind=row_kind))
        data = serializer.validated_data
        rows = data.get("rows")
        screening = screening_section_save(
            actor=request.user,
            screening_id=screening_id,
            section=section,
            version=data["version"],
            data=dict(data.get("answers", {})),
            rows=[dict(row) for row in rows] if rows is not None else None,
        )
        return Response(ScreeningSummaryOutputSerializer(screening).data)


class ScreeningSubmitApi(APIView):
    """Submit the determination for central review; missing answers come back by field."""

    class InputSerializer(StrictInputSerializer):
        version = serializers.IntegerField(min_value=1)

        class Meta:
            ref_name = "ScreeningSubmitInput"

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="screenings_submit",
        parameters=[SCREENING_ID_PARAMETER],
        request=InputSerializer,
        responses={200: ScreeningSummaryOutputSerializer},
    )
    def post(self, request, screening_id):
        access_screening_by_id(user=request.user, screening_id=screening_id)
        serializer = ScreeningSubmitApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        screening = screening_submit(
            actor=request.user,
            screening_id=screening_id,
            version=serializer.validated_data["version"],
        )
        return Response(ScreeningSummaryOutputSerializer(screening).data)


class ScreeningReviewQueueApi(generics.ListAPIView):
    """Submitted determinations across missions, oldest first. No identity, no answer text."""

    # Not strict: the query string also carries the pagination parameters.
    class FilterSerializer(serializers.Serializer):
        mission = serializers.IntegerField(min_value=1, required=False)

        class Meta:
            ref_name = "ScreeningReviewQueueFilter"

    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        case = serializers.UUIDField(source="case_id")
        case_reference = serializers.CharField(source="case.reference")
        mission = serializers.CharField(source="case.mission.code")
        form_version = serializers.CharField()
        submitted_at = serializers.DateTimeField()
        submitted_by = serializers.IntegerField(source="submitted_by_id")
        trafficking_status = serializers.CharField()
        eligible = serializers.BooleanField(
            source="eligible_for_assistance", allow_null=True, read_only=True
        )
        version = serializers.IntegerField()

        class Meta:
            ref_name = "ScreeningReviewQueueItem"

    permission_classes = [IsCentralAdmin]
    pagination_class = DefaultPagination
    filter_backends: list = []
    serializer_class = OutputSerializer

    def get_queryset(self):
        filters = ScreeningReviewQueueApi.FilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return review_queue(
            user=self.request.user, mission_id=filters.validated_data.get("mission")
        )

    @extend_schema(operation_id="screenings_review_queue", parameters=[FilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ScreeningReviewApi(APIView):
    """Approve or return a submitted determination. Nobody reviews their own screening."""

    class InputSerializer(StrictInputSerializer):
        version = serializers.IntegerField(min_value=1)
        decision = serializers.ChoiceField(choices=["approve", "return"])
        comment = serializers.CharField(max_length=MAX_TEXT_LENGTH, allow_blank=True, default="")

        class Meta:
            ref_name = "ScreeningReviewInput"

    permission_classes = [IsCentralAdmin]

    @extend_schema(
        operation_id="screenings_review",
        parameters=[SCREENING_ID_PARAMETER],
        request=InputSerializer,
        responses={200: ScreeningSummaryOutputSerializer},
    )
    def post(self, request, screening_id):
        serializer = ScreeningReviewApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        screening = determination_review(
            actor=request.user,
            screening_id=screening_id,
            version=data["version"],
            approve=data["decision"] == "approve",
            comment=data["comment"],
        )
        return Response(ScreeningSummaryOutputSerializer(screening).data)
