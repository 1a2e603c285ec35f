"""The cases REST API. Thin: parse with a serializer, call one service or selector, render.

Scope rules, the same as the HTML pages:

- A user with no case scope at all (a researcher, or an account without a mission) gets the
  one 404 from the list and create endpoints: for them there are no cases here.
- A case outside the user's scope gets the same 404 as a missing one (``access_case_by_id``).
- Creating a case for a mission outside the user's scope is answered exactly like an unknown
  mission code: 400 with a ``mission`` field error, so the answer does not confirm the
  mission exists.

Write responses carry no identity: identity is only returned by the audited detail read.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership, Mission, User
from config.api.pagination import DefaultPagination
from config.api.permissions import IsCentralAdmin
from config.api.serializers import StrictInputSerializer

from .filters import CaseFilter
from .models import Case, CaseClosureRequest
from .selectors import (
    access_case_by_id,
    access_case_record_by_id,
    case_get,
    case_list_rows,
    closure_queue,
    registrable_missions,
)
from .services import (
    COMMENT_MAX_LENGTH,
    case_create,
    case_reopen,
    case_search_record,
    case_update,
    closure_approve,
    closure_request,
    closure_return,
)
from .vocabularies import (
    ClosureReason,
    Gender,
    ReopenReason,
    country_choices,
    language_choices,
)

UNKNOWN_MISSION_MESSAGE = _("Unknown mission, or not one you can register cases for.")
MAX_LIST_ITEMS = 20
CODE_MAX_LENGTH = Mission._meta.get_field("code").max_length

UPDATE_DESCRIPTION = (
    "``version`` is the one last read; if the case changed since, the answer is 409 and "
    "nothing is written. Fields not sent are left as they are."
)
CASE_ID_PARAMETER = OpenApiParameter(
    "case_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The case's id."
)


class HasCaseScope(permissions.IsAuthenticated):
    """Signed in with some case scope; without any, the endpoint answers the one 404."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        user = request.user
        if user.sees_all_missions or user.caseworker_mission_ids:
            return True
        raise exceptions.NotFound


class CaseFilterBackend(DjangoFilterBackend):
    """The HTML list's FilterSet; it limits its choices to what the user may see."""

    def get_filterset_kwargs(self, request, queryset, view):
        return {**super().get_filterset_kwargs(request, queryset, view), "user": request.user}


def _caseworkers_of(missions) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        memberships__mission__in=missions,
        memberships__role=Membership.Role.CASEWORKER,
    ).distinct()


class MissionCodeField(serializers.SlugRelatedField):
    """A mission by its code. The code is checked before it reaches the query: PostgreSQL
    refuses a NUL character in a text parameter with an error, not an empty result."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or "\x00" in data or len(data) > CODE_MAX_LENGTH:
            self.fail("invalid")
        return super().to_internal_value(data)


def _lines(*, max_length: int) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=max_length),
        max_length=MAX_LIST_ITEMS,
        required=False,
    )


def _codes(choices) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=choices),
        max_length=MAX_LIST_ITEMS,
        required=False,
    )


class CaseDataInputSerializer(StrictInputSerializer):
    """Registration fields shared by create and update; lengths match the HTML form."""

    registered_on = serializers.DateField(required=False)
    assigned_to = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), required=False, allow_null=True
    )
    given_name = serializers.CharField(max_length=150)
    family_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    aliases = _lines(max_length=150)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    birth_year = serializers.IntegerField(
        required=False, allow_null=True, min_value=1900, max_value=2100
    )
    gender = serializers.ChoiceField(choices=Gender.choices)
    citizenships = _codes(country_choices())
    languages = _codes(language_choices())
    identity_documents = _lines(max_length=64)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    address = serializers.CharField(max_length=500, required=False, allow_blank=True)

    def validate(self, attrs):
        # As in the HTML form: a full date of birth carries its year unless one is given.
        dob = attrs.get("date_of_birth")
        if dob is not None and attrs.get("birth_year") is None:
            attrs["birth_year"] = dob.year
        return attrs


PERSON_INPUT_FIELDS = (
    "given_name",
    "family_name",
    "aliases",
    "date_of_birth",
    "birth_year",
    "gender",
    "citizenships",
    "languages",
    "identity_documents",
    "phone",
    "address",
)


class CaseSummaryOutputSerializer(serializers.ModelSerializer):
    """A case without identity: what a list row, or the answer to a write, may show."""

    mission = serializers.CharField(source="mission.code")
    assigned_to = serializers.PrimaryKeyRelatedField(read_only=True)
    gender = serializers.ChoiceField(source="person.gender", choices=Gender.choices)
    citizenships = serializers.ListField(
        source="person.citizenships", child=serializers.CharField()
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "mission",
            "status",
            "registered_on",
            "assigned_to",
            "gender",
            "citizenships",
            "version",
        ]
        read_only_fields = fields
        ref_name = "CaseSummary"


@extend_schema_view(
    get=extend_schema(
        operation_id="cases_list",
        tags=["cases"],
        summary="List cases",
        description="Cases in the user's scope, newest first, without identity.",
        parameters=[
            OpenApiParameter(
                "citizenship",
                OpenApiTypes.STR,
                description="ISO 3166-1 alpha-3 code of one citizenship.",
            )
        ],
    )
)
class CaseListApi(generics.ListAPIView):
    """Cases in the user's scope, newest first, filtered like the HTML list."""

    OutputSerializer = CaseSummaryOutputSerializer

    permission_classes = [HasCaseScope]
    pagination_class = DefaultPagination
    filter_backends = [CaseFilterBackend]
    filterset_class = CaseFilter
    serializer_class = OutputSerializer

    def get_queryset(self):
        return case_list_rows(user=self.request.user)

    def list(self, request, *args, **kwargs):
        # The filter backend has refused a bad ``q`` (400) before this point.
        response = super().list(request, *args, **kwargs)
        query = (request.query_params.get("q") or "").strip()
        if query:
            case_search_record(
                actor=request.user, query=query, results=self.paginator.page.paginator.count
            )
        return response


class CaseCreateApi(APIView):
    """Register a case. See the module docstring for how an out-of-scope mission is refused."""

    class InputSerializer(CaseDataInputSerializer):
        # One message for "no such mission" and "not yours": the answer confirms nothing.
        mission = MissionCodeField(
            slug_field="code",
            queryset=Mission.objects.none(),
            error_messages={
                "does_not_exist": UNKNOWN_MISSION_MESSAGE,
                "invalid": UNKNOWN_MISSION_MESSAGE,
            },
        )

        class Meta:
            ref_name = "CaseCreateInput"

        def __init__(self, *args, user: User | None = None, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            missions = registrable_missions(user) if user is not None else Mission.objects.none()
            self.fields["mission"].queryset = missions
            self.fields["assigned_to"].queryset = _caseworkers_of(missions)

    OutputSerializer = CaseSummaryOutputSerializer

    permission_classes = [HasCaseScope]

    @extend_schema(
        operation_id="cases_create",
        tags=["cases"],
        summary="Register a case",
        description=(
            "A mission outside the user's scope is refused like an unknown one (400, "
            "``mission`` field error). The answer carries no identity."
        ),
        request=InputSerializer,
        responses={201: OutputSerializer},
    )
    def post(self, request):
        serializer = CaseCreateApi.InputSerializer(data=request.data, user=request.user)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        case = case_create(
            actor=request.user,
            mission=data["mission"],
            person={field: data[field] for field in PERSON_INPUT_FIELDS if field in data},
            registered_on=data.get("registered_on"),
            assigned_to=data.get("assigned_to"),
        )
        return Response(CaseCreateApi.OutputSerializer(case).data, status=status.HTTP_201_CREATED)


class CaseCollectionApi(CaseListApi, CaseCreateApi):
    """``/cases/``: GET is ``CaseListApi``, POST is ``CaseCreateApi``."""


class CaseDetailApi(APIView):
    """One case with its identity. The read is audited (``case_get``)."""

    class OutputSerializer(serializers.ModelSerializer):
        mission = serializers.CharField(source="mission.code")
        assigned_to = serializers.PrimaryKeyRelatedField(read_only=True)
        given_name = serializers.CharField(source="person.given_name")
        family_name = serializers.CharField(source="person.family_name")
        aliases = serializers.ListField(source="person.aliases", child=serializers.CharField())
        date_of_birth = serializers.DateField(source="person.date_of_birth")
        birth_year = serializers.IntegerField(source="person.birth_year")
        age_at_registration = serializers.IntegerField(source="person.age_at_registration")
        gender = serializers.ChoiceField(source="person.gender", choices=Gender.choices)
        citizenships = serializers.ListField(
            source="person.citizenships", child=serializers.CharField()
        )
        languages = serializers.ListField(source="person.languages", child=serializers.CharField())
        identity_documents = serializers.ListField(
            source="person.identity_documents", child=serializers.CharField()
        )
        phone = serializers.CharField(source="person.phone")
        address = serializers.CharField(source="person.address")

        class Meta:
            model = Case
            fields = [
                "id",
                "reference",
                "mission",
                "status",
                "registered_on",
                "registration_date_unknown",
                "assigned_to",
                "version",
                "created_at",
                "updated_at",
                "given_name",
                "family_name",
                "aliases",
                "date_of_birth",
                "birth_year",
                "age_at_registration",
                "gender",
                "citizenships",
                "languages",
                "identity_documents",
                "phone",
                "address",
            ]
            read_only_fields = fields
            ref_name = "CaseDetail"

    @extend_schema(
        operation_id="cases_retrieve",
        tags=["cases"],
        summary="Read a case, with identity (audited)",
        description="A case outside the user's scope gets the same 404 as a missing one.",
        parameters=[CASE_ID_PARAMETER],
        responses=OutputSerializer,
    )
    def get(self, request, case_id):
        case = case_get(user=request.user, case_id=case_id)
        return Response(CaseDetailApi.OutputSerializer(case).data)


class CaseUpdateApi(APIView):
    """Change a case's registration data; ``version`` must be the one the client last read.

    A stale ``version`` is refused with 409 and nothing is written. PUT must carry the
    required fields, PATCH only what changes; fields not sent are left as they are.
    """

    class InputSerializer(CaseDataInputSerializer):
        version = serializers.IntegerField(min_value=1)

        class Meta:
            ref_name = "CaseUpdateInput"

        def __init__(self, *args, case: Case | None = None, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            missions = [case.mission_id] if case is not None else []
            self.fields["assigned_to"].queryset = _caseworkers_of(missions)

        def validate(self, attrs):
            # PATCH makes every field optional, but never the version.
            if "version" not in attrs:
                raise serializers.ValidationError(
                    {"version": [self.fields["version"].error_messages["required"]]}
                )
            return super().validate(attrs)

    OutputSerializer = CaseSummaryOutputSerializer

    @extend_schema(
        operation_id="cases_update",
        tags=["cases"],
        summary="Change a case (all required fields)",
        description=UPDATE_DESCRIPTION,
        parameters=[CASE_ID_PARAMETER],
        request=InputSerializer,
        responses={200: OutputSerializer},
    )
    def put(self, request, case_id):
        return self._update(request, case_id, partial=False)

    @extend_schema(
        operation_id="cases_partial_update",
        tags=["cases"],
        summary="Change some fields of a case",
        description=UPDATE_DESCRIPTION,
        parameters=[CASE_ID_PARAMETER],
        request=InputSerializer,
        responses={200: OutputSerializer},
    )
    def patch(self, request, case_id):
        return self._update(request, case_id, partial=True)

    def _update(self, request, case_id, *, partial: bool) -> Response:
        user = request.user
        # Scope first: whatever the body, a case out of scope gets the one 404 (and the
        # refusal is audited). The service checks again on the locked row.
        case = access_case_by_id(user=user, case_id=case_id)
        serializer = CaseUpdateApi.InputSerializer(data=request.data, partial=partial, case=case)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version")
        case = case_update(actor=user, case_id=case.pk, version=version, data=data)
        return Response(CaseUpdateApi.OutputSerializer(case).data)


class CaseItemApi(CaseDetailApi, CaseUpdateApi):
    """``/cases/<id>/``: GET is ``CaseDetailApi``, PUT and PATCH are ``CaseUpdateApi``."""


# Closure and reopening

CLOSURE_TAGS = ["case closure"]
UNKNOWN_QUEUE_MISSION_MESSAGE = _("Unknown mission code.")
CLOSURE_REQUEST_ID_PARAMETER = OpenApiParameter(
    "closure_request_id",
    OpenApiTypes.UUID,
    OpenApiParameter.PATH,
    description="The closure request's id.",
)


class ClosureRequestOutputSerializer(serializers.ModelSerializer):
    """A closure request without its comments (they are read on the case page)."""

    case = serializers.PrimaryKeyRelatedField(read_only=True)
    case_reference = serializers.CharField(source="case.reference")
    mission = serializers.CharField(source="case.mission.code")
    case_status = serializers.CharField(source="case.status")
    requested_by = serializers.PrimaryKeyRelatedField(read_only=True)
    decided_by = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = CaseClosureRequest
        fields = [
            "id",
            "case",
            "case_reference",
            "mission",
            "case_status",
            "reason",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "version",
        ]
        read_only_fields = fields
        ref_name = "CaseClosureRequest"


class _CommentField(serializers.CharField):
    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=COMMENT_MAX_LENGTH, required=False, allow_blank=True, **kwargs)


class ClosureRequestApi(APIView):
    """Ask for a case to be closed. A referral closes it at once (``closed_referred``); any
    other reason waits for a central administrator."""

    class InputSerializer(StrictInputSerializer):
        version = serializers.IntegerField(min_value=1)
        reason = serializers.ChoiceField(choices=ClosureReason.choices)
        comment = _CommentField()

        class Meta:
            ref_name = "CaseClosureRequestInput"

    OutputSerializer = ClosureRequestOutputSerializer

    @extend_schema(
        operation_id="cases_closure_request",
        tags=CLOSURE_TAGS,
        summary="Request closure of a case",
        description=(
            "A closed case is read-only (400, code ``case_closed``); one pending request per "
            "case (400, code ``closure_pending``); a stale ``version`` is 409."
        ),
        parameters=[CASE_ID_PARAMETER],
        request=InputSerializer,
        responses={201: OutputSerializer},
    )
    def post(self, request, case_id):
        # Scope first: out of scope is the one 404 whatever the body.
        case = access_case_by_id(user=request.user, case_id=case_id)
        serializer = ClosureRequestApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        closure = closure_request(actor=request.user, case_id=case.pk, **serializer.validated_data)
        return Response(
            ClosureRequestApi.OutputSerializer(closure).data, status=status.HTTP_201_CREATED
        )


class ClosureQueueApi(generics.ListAPIView):
    """Pending closure requests, oldest first (central administrators only)."""

    class FilterSerializer(serializers.Serializer):
        # A fixed message: the default one would echo the value sent.
        mission = MissionCodeField(
            slug_field="code",
            queryset=Mission.objects.all(),
            required=False,
            error_messages={
                "does_not_exist": UNKNOWN_QUEUE_MISSION_MESSAGE,
                "invalid": UNKNOWN_QUEUE_MISSION_MESSAGE,
            },
        )

    permission_classes = [IsCentralAdmin]
    pagination_class = DefaultPagination
    serializer_class = ClosureRequestOutputSerializer

    @extend_schema(
        operation_id="cases_closure_queue",
        tags=CLOSURE_TAGS,
        summary="List pending closure requests",
        parameters=[OpenApiParameter("mission", OpenApiTypes.STR, description="A mission's code.")],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = ClosureQueueApi.FilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        mission = filters.validated_data.get("mission")
        return closure_queue(user=self.request.user, mission_id=mission.pk if mission else None)


class ClosureApproveApi(APIView):
    """Approve a pending request: the case closes. Never by the requester."""

    class InputSerializer(StrictInputSerializer):
        version = serializers.IntegerField(min_value=1)

        class Meta:
            ref_name = "CaseClosureApproveInput"

    OutputSerializer = ClosureRequestOutputSerializer
    permission_classes = [IsCentralAdmin]

    @extend_schema(
        operation_id="cases_closure_approve",
        tags=CLOSURE_TAGS,
        summary="Approve a closure request",
        description="The requester cannot decide (400, code ``self_approval``).",
        parameters=[CLOSURE_REQUEST_ID_PARAMETER],
        request=InputSerializer,
        responses={200: OutputSerializer},
    )
    def post(self, request, closure_request_id):
        access_case_record_by_id(
            model=CaseClosureRequest,
            user=request.user,
            object_id=closure_request_id,
            for_update=False,
        )
        serializer = ClosureApproveApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        closure = closure_approve(
            actor=request.user, request_id=closure_request_id, **serializer.validated_data
        )
        return Response(ClosureApproveApi.OutputSerializer(closure).data)


class ClosureReturnApi(APIView):
    """Return a pending request with a comment; the case stays as it was."""

    class InputSerializer(StrictInputSerializer):
        version = serializers.IntegerField(min_value=1)
        # Required by the service, which says why it is needed.
        comment = _CommentField()

        class Meta:
            ref_name = "CaseClosureReturnInput"

    OutputSerializer = ClosureRequestOutputSerializer
    permission_classes = [IsCentralAdmin]

    @extend_schema(
        operation_id="cases_closure_return",
        tags=CLOSURE_TAGS,
        summary="Return a closure request",
        description="The requester cannot decide (400, code ``self_approval``).",
        parameters=[CLOSURE_REQUEST_ID_PARAMETER],
        request=InputSerializer,
        responses={200: OutputSerializer},
    )
    def post(self, request, closure_request_id):
        access_case_record_by_id(
            model=CaseClosureRequest,
            user=request.user,
            object_id=closure_request_id,
            for_update=False,
        )
        serializer = ClosureReturnApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        closure = closure_return(
            actor=request.user, request_id=closure_request_id, **serializer.validated_data
        )
        return Response(ClosureReturnApi.OutputSerializer(closure).data)


class CaseReopenApi(APIView):
    """Reopen a closed case: it returns to its status before closure."""

    class InputSerializer(StrictInputSerializer):
        version = serializers.IntegerField(min_value=1)
        reason = serializers.ChoiceField(choices=ReopenReason.choices)
        comment = _CommentField()

        class Meta:
            ref_name = "CaseReopenInput"

    OutputSerializer = CaseSummaryOutputSerializer
    permission_classes = [IsCentralAdmin]

    @extend_schema(
        operation_id="cases_reopen",
        tags=CLOSURE_TAGS,
        summary="Reopen a closed case",
        description="Only a closed case can be reopened (400, code ``case_not_closed``).",
        parameters=[CASE_ID_PARAMETER],
        request=InputSerializer,
        responses={200: OutputSerializer},
    )
    def post(self, request, case_id):
        case = access_case_by_id(user=request.user, case_id=case_id)
        serializer = CaseReopenApi.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reopening = case_reopen(actor=request.user, case_id=case.pk, **serializer.validated_data)
        return Response(CaseReopenApi.OutputSerializer(reopening.case).data)
