"""The language switcher, the profile's language and Accept-Language."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.services import LANGUAGE_UNKNOWN_MESSAGE, user_language_set
from tests import factories
from tests.second_factor import verified_login

pytestmark = pytest.mark.django_db

LANGUAGE_URL = reverse("accounts:language")


def _html_tag(response) -> str:
    body = response.content.decode()
    return body[body.index("<html") : body.index(">", body.index("<html")) + 1]


def test_every_page_has_the_switcher_sign_in_included(client, caseworker_a):
    assert 'action="/accounts/language/"' in client.get(reverse("accounts:login")).content.decode()
    verified_login(client, caseworker_a)
    assert 'action="/accounts/language/"' in client.get(reverse("dashboard")).content.decode()


def test_anonymous_choice_goes_in_the_cookie_and_back_to_the_page(client):
    login = reverse("accounts:login")
    response = client.post(LANGUAGE_URL, {"language": "fr", "next": login})
    assert response.status_code == 302
    assert response["Location"] == login
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert _html_tag(client.get(login)) == '<html lang="fr" dir="ltr">'


def test_a_signed_in_choice_is_saved_on_the_profile(client, caseworker_a):
    verified_login(client, caseworker_a)
    client.post(LANGUAGE_URL, {"language": "ar", "next": reverse("cases:list")})
    caseworker_a.refresh_from_db()
    assert caseworker_a.language == "ar"


def test_the_profile_language_follows_the_user_to_another_browser(caseworker_a):
    caseworker_a.language = "ru"
    caseworker_a.save()
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    verified_login(browser, caseworker_a)
    response = browser.get(reverse("dashboard"))
    assert _html_tag(response) == '<html lang="ru" dir="ltr">'
    assert response["Content-Language"] == "ru"


def test_a_language_picked_on_the_sign_in_page_becomes_the_users(client, caseworker_a):
    client.post(LANGUAGE_URL, {"language": "es"})
    response = client.post(
        reverse("accounts:login"),
        {"username": caseworker_a.email, "password": factories.DEFAULT_PASSWORD},
    )
    assert response.status_code == 302
    caseworker_a.refresh_from_db()
    assert caseworker_a.language == "es"


def test_arabic_pages_run_right_to_left(client):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="ar")
    assert _html_tag(response) == '<html lang="ar" dir="rtl">'


def test_anonymous_pages_follow_accept_language(client):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9")
    assert _html_tag(response) == '<html lang="pt" dir="ltr">'


def test_the_api_follows_accept_language(client):
    response = client.get(reverse("cases_api:case_collection"), HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 403
    assert response["Content-Language"] == "fr"


@pytest.mark.parametrize(
    "data", [{"language": "xx"}, {"language": ""}, {}, {"language": "fr" * 50}]
)
def test_an_unknown_language_is_refused_and_nothing_changes(client, caseworker_a, data):
    verified_login(client, caseworker_a)
    response = client.post(LANGUAGE_URL, data)
    assert response.status_code == 400
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    caseworker_a.refresh_from_db()
    assert caseworker_a.language == ""


def test_the_service_refuses_an_unknown_language(caseworker_a):
    with pytest.raises(ValidationError) as error:
        user_language_set(user=caseworker_a, language="de")
    assert error.value.message_dict == {"language": [str(LANGUAGE_UNKNOWN_MESSAGE)]}


@pytest.mark.parametrize("target", ["https://elsewhere.example/", "//elsewhere.example/", ""])
def test_next_never_leaves_the_site(client, target):
    response = client.post(LANGUAGE_URL, {"language": "fr", "next": target})
    assert response["Location"] == reverse("dashboard")


def test_get_is_refused(client):
    assert client.get(LANGUAGE_URL).status_code == 405


def test_a_user_still_to_enrol_can_change_language(client, central_admin):
    # Central administrators must set up a second factor before anything else.
    client.force_login(central_admin)
    response = client.post(LANGUAGE_URL, {"language": "fr", "next": reverse("accounts:totp_enrol")})
    assert response["Location"] == reverse("accounts:totp_enrol")
    central_admin.refresh_from_db()
    assert central_admin.language == "fr"
