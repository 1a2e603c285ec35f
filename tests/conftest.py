import pytest

from tests import factories
from tests.second_factor import verified_login


def pytest_sessionstart(session):
    # The .mo files are generated, never committed: every run translates with today's .po files.
    # Under xdist the controller compiles once, before the workers start.
    if hasattr(session.config, "workerinput"):
        return
    from config.catalogs import compile_catalogs

    compile_catalogs()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language.

    A request activates the signed-in user's language in the test's thread and Django leaves it
    active after the response, so a test that rendered a page in Spanish left code outside a
    request (charts, e-mails, exports) in Spanish for the next test.
    """
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def mission_a():
    return factories.MissionFactory(code="AAA", name="Mission A", country="NPL")


@pytest.fixture
def mission_b():
    return factories.MissionFactory(code="BBB", name="Mission B", country="THA")


@pytest.fixture
def caseworker_a(mission_a):
    user = factories.UserFactory(email="cw.a@harbour.test")
    factories.MembershipFactory(user=user, mission=mission_a)
    return user


@pytest.fixture
def caseworker_b(mission_b):
    user = factories.UserFactory(email="cw.b@harbour.test")
    factories.MembershipFactory(user=user, mission=mission_b)
    return user


@pytest.fixture
def central_admin():
    return factories.CentralAdminFactory(email="admin@harbour.test")


@pytest.fixture
def researcher():
    return factories.ResearcherFactory(email="research@harbour.test")


@pytest.fixture
def superuser():
    return factories.UserFactory(email="root@harbour.test", is_superuser=True, is_staff=True)


@pytest.fixture
def case_a(mission_a, caseworker_a):
    return factories.CaseFactory(mission=mission_a, assigned_to=caseworker_a)


@pytest.fixture
def case_b(mission_b, caseworker_b):
    return factories.CaseFactory(mission=mission_b, assigned_to=caseworker_b)


@pytest.fixture
def client_for(client):
    """A test client signed in as the given user (or anonymous for None)."""

    def _client_for(user):
        client.logout()
        if user is not None:
            verified_login(client, user)
        return client

    return _client_for
