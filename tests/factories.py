"""factory-boy factories for every model."""

import datetime

import factory
from django.utils import timezone

from accounts.models import Membership, Mission, User
from assistance.models import (
    AssistanceInterview,
    AssistanceService,
    Movement,
    MovementLeg,
    MovementType,
    Organisation,
    PersonWish,
    Provider,
    Referral,
    RiskLevel,
    ServiceCategory,
    SupportPlan,
    TransportMeans,
    TravelDocumentStatus,
)
from cases import crypto, search
from cases.models import AuditAction, AuditEvent, Case, CaseAccessReason, CaseMissionAccess, Person
from cases.vocabularies import CaseStatus, Gender, OrganisationType, ReferralReason, SupportPlanType
from research_exports.models import Extract, MartRow, MartSnapshot, ResearchRelease

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class MissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mission
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: "M" + "".join(chr(65 + int(d)) for d in f"{n:03d}"))
    name = factory.LazyAttribute(lambda o: f"Mission {o.code}")
    country = "NPL"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@harbour.test")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    mission = factory.SubFactory(MissionFactory)
    role = Membership.Role.CASEWORKER


class CaseworkerFactory(UserFactory):
    membership = factory.RelatedFactory(MembershipFactory, factory_related_name="user")


class CentralAdminFactory(UserFactory):
    is_central_admin = True


class ResearcherFactory(UserFactory):
    is_researcher = True


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=16, maximum_age=60)
    gender = Gender.FEMININE
    birth_year = factory.LazyAttribute(lambda o: o.date_of_birth.year if o.date_of_birth else None)
    age_at_registration = factory.LazyAttribute(
        lambda o: (timezone.localdate().year - o.birth_year) if o.birth_year else None
    )
    citizenships = factory.LazyFunction(lambda: ["NPL"])
    languages = factory.LazyFunction(lambda: ["ne"])
    blind_index = factory.LazyAttribute(
        lambda o: crypto.blind_index(
            given_name=o.given_name, family_name=o.family_name, date_of_birth=o.date_of_birth
        )
    )

    @factory.post_generation
    def search_tokens(obj, create, extracted, **kwargs):
        # As the services do: every stored person is findable.
        if create:
            search.tokens_rebuild([obj])


class CaseFactory(factory.django.DjangoModelFactory):
    """A case with a reference outside the counter's range, so service-made ones never clash."""

    class Meta:
        model = Case

    mission = factory.SubFactory(MissionFactory)
    person = factory.SubFactory(PersonFactory)
    registered_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=3))
    reference = factory.LazyAttributeSequence(
        lambda o, n: f"{o.mission.code}-{o.registered_on.year:04d}-{90000 + n:05d}"
    )


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    action = AuditAction.CASE_VIEWED
    actor = factory.SubFactory(UserFactory)


class MartSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MartSnapshot
        skip_postgeneration_save = True

    status = MartSnapshot.Status.READY
    source = MartSnapshot.Source.SCHEDULE
    is_current = True
    completed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def release(obj, create, extracted, **kwargs):
        """Published as a release, since suppressed extracts read releases only; pass
        ``release=False`` for a snapshot nobody published."""
        if create and extracted is not False and obj.status == MartSnapshot.Status.READY:
            ResearchRelease.objects.create(snapshot=obj, name=f"Release {obj.pk}")


class ResearchReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResearchRelease

    snapshot = factory.SubFactory(MartSnapshotFactory, release=False, is_current=False)
    name = factory.Sequence(lambda n: f"Release {n}")


class ExtractFactory(factory.django.DjangoModelFactory):
    """A queued extract of the researcher's; pass status, result, report to shape it."""

    class Meta:
        model = Extract

    requested_by = factory.SubFactory(ResearcherFactory)
    snapshot = factory.LazyFunction(
        lambda: MartSnapshot.objects.filter(is_current=True).first() or MartSnapshotFactory()
    )
    dimensions = factory.LazyFunction(lambda: ["yearOfRegistration"])
    format = Extract.Format.CSV


class MartRowFactory(factory.django.DjangoModelFactory):
    """One de-identified mart row; pass the coded variables a test counts by."""

    class Meta:
        model = MartRow

    snapshot = factory.LazyFunction(
        lambda: MartSnapshot.objects.filter(is_current=True).first() or MartSnapshotFactory()
    )
    year_of_registration = 2024
    mission_country = "NPL"
    gender = "Woman"
    age_broad = "18--20"
    minor_at_registration = False
    citizenship = "NPL"
    country_of_exploitation = "IND"
    route_origin = "NPL"
    route_destination = "IND"
    traffick_months = "0--12"
    exploitation_types = factory.LazyFunction(lambda: ["ForcedLabour"])
    recruiter_relation = "Friend"
    trafficking_status = "ActualVictimOfTrafficking"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Partner organisation {n}")
    organisation_type = OrganisationType.NGO
    country = "NPL"


class ActiveCaseFactory(CaseFactory):
    """A case whose determination was approved: assistance can be recorded for it."""

    status = CaseStatus.ACTIVE


class AssistanceInterviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssistanceInterview

    case = factory.SubFactory(ActiveCaseFactory)
    created_by = factory.SubFactory(UserFactory)
    interviewer = factory.SelfAttribute("created_by")
    interview_date = factory.LazyFunction(timezone.localdate)
    language = "ne"
    safety_risk_level = RiskLevel.LOW
    wish = PersonWish.RETURN


class SupportPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportPlan

    case = factory.SubFactory(ActiveCaseFactory)
    created_by = factory.SubFactory(UserFactory)
    start_date = factory.LazyFunction(timezone.localdate)
    plan_types = factory.LazyFunction(lambda: [SupportPlanType.Health])


class AssistanceServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssistanceService

    case = factory.SubFactory(ActiveCaseFactory)
    created_by = factory.SubFactory(UserFactory)
    category = ServiceCategory.MEDICAL
    provider = Provider.IOM


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    case = factory.SubFactory(ActiveCaseFactory)
    created_by = factory.SubFactory(UserFactory)
    direction = Referral.Direction.INCOMING
    referral_date = factory.LazyFunction(timezone.localdate)
    organisation = factory.SubFactory(OrganisationFactory)
    reason = ReferralReason.AdditionalServicesRequired


class MovementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Movement

    case = factory.SubFactory(ActiveCaseFactory)
    created_by = factory.SubFactory(UserFactory)
    movement_type = MovementType.VOLUNTARY_RETURN
    origin_country = "THA"
    destination_country = "NPL"
    travel_document_status = TravelDocumentStatus.VALID_DOCUMENT


class MovementLegFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MovementLeg

    movement = factory.SubFactory(MovementFactory)
    position = factory.Sequence(lambda n: n)
    from_country = "THA"
    to_country = "NPL"
    planned_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=7))
    transport_means = TransportMeans.AIR


class CaseMissionAccessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseMissionAccess

    case = factory.SubFactory(CaseFactory)
    mission = factory.SubFactory(MissionFactory)
    reason = CaseAccessReason.RETURN_ARRIVED
    granted_by = factory.SubFactory(CentralAdminFactory)


class ApprovedScreeningFactory(factory.django.DjangoModelFactory):
    """An approved screening with a few profile answers; add rows with the factories below."""

    class Meta:
        model = "screening.Screening"

    case = factory.SubFactory(ActiveCaseFactory)
    created_by = factory.SubFactory(UserFactory)
    interviewer = factory.SelfAttribute("created_by")
    status = "approved"
    interview_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=2))
    reviewed_by = factory.SubFactory(CentralAdminFactory)
    reviewed_at = factory.LazyFunction(timezone.now)
    consent_interview = True
    recruitment_country = "NPL"
    recruitment_locality = "Pokhara"
    recruitment_methods = factory.LazyFunction(lambda: ["AtWork"])
    exploitation_types = factory.LazyFunction(lambda: ["ForcedLabour"])
    means_of_control = factory.LazyFunction(lambda: ["PhysicalThreats"])


class TraffickingEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "screening.TraffickingEvent"

    screening = factory.SubFactory(ApprovedScreeningFactory)
    position = factory.Sequence(lambda n: n)
    event_type = "Recruitment"
    country = "NPL"
    locality = "Pokhara"


class PerpetratorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "screening.Perpetrator"

    screening = factory.SubFactory(ApprovedScreeningFactory)
    position = factory.Sequence(lambda n: n)
    roles = factory.LazyFunction(lambda: ["RecruiterOrIntermediary"])
    gender = Gender.MASCULINE
    citizenship = "NPL"


class TraffickingDetailChangeFactory(factory.django.DjangoModelFactory):
    """A pending correction of the means of control."""

    class Meta:
        model = "assistance.TraffickingDetailChange"

    case = factory.SubFactory(ActiveCaseFactory)
    created_by = factory.SubFactory(UserFactory)
    item = "means_of_control"
    kind = "correction"
    value = factory.LazyFunction(lambda: ["DebtBondage"])
    reason = "Told at the follow-up interview."


class CaseAccessProposalFactory(factory.django.DjangoModelFactory):
    """A pending proposal to share a case with another mission."""

    class Meta:
        model = "assistance.CaseAccessProposal"

    case = factory.SubFactory(CaseFactory)
    mission = factory.SubFactory(MissionFactory)
    proposing_mission = factory.SelfAttribute("case.mission")
    reason = CaseAccessReason.RETURN_ARRIVED
    proposed_by = factory.SubFactory(UserFactory)


class ReintegrationPlanFactory(factory.django.DjangoModelFactory):
    """A plan anchored on its start date; no visits (the service schedules those)."""

    class Meta:
        model = "reintegration.ReintegrationPlan"

    case = factory.SubFactory(ActiveCaseFactory)
    created_by = factory.SubFactory(UserFactory)
    start_date = factory.LazyFunction(timezone.localdate)
    anchor_date = factory.SelfAttribute("start_date")
    anchor_source = "plan_start"


class ReintegrationAssistanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reintegration.ReintegrationAssistance"

    case = factory.SubFactory(ActiveCaseFactory)
    created_by = factory.SubFactory(UserFactory)
    option = "job_placement"
    dimension = "economic"
    provider = "iom"


class MonitoringVisitFactory(factory.django.DjangoModelFactory):
    """A scheduled visit of a plan; pass schedule_month for one of the plan's schedule."""

    class Meta:
        model = "reintegration.MonitoringVisit"

    plan = factory.SubFactory(ReintegrationPlanFactory)
    case = factory.SelfAttribute("plan.case")
    created_by = factory.SubFactory(UserFactory)
    planned_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))


class CaseClosureRequestFactory(factory.django.DjangoModelFactory):
    """A pending closure request (the model path: the service closes a referral at once)."""

    class Meta:
        model = "cases.CaseClosureRequest"

    case = factory.SubFactory(ActiveCaseFactory)
    reason = "LostContact"
    requested_by = factory.SubFactory(UserFactory)


class ClosedCaseFactory(CaseFactory):
    """A case closed after assistance, its identity due for removal in the retention period."""

    status = CaseStatus.CLOSED
    status_before_closure = CaseStatus.ACTIVE
    closure_reason = "LostContact"
    closed_at = factory.LazyFunction(timezone.now)
    identity_removal_due_on = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=3650)
    )


def add_mart_rows(snapshot, count: int, **values) -> None:
    """``count`` identical research-mart rows of ``snapshot`` in one insert."""
    MartRow.objects.bulk_create(
        [MartRowFactory.build(snapshot=snapshot, **values) for _ in range(count)]
    )
