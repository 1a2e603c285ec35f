import datetime
import io
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.second_factor.policy import VERIFIED_AT_SESSION_KEY
from cases.models import Case
from intake import messages
from intake.forms import TOO_LARGE_MESSAGE
from intake.models import ImportJob
from intake.views import JOBS_PER_PAGE
from tests.intake.conftest import ROWS, csv_text
from tests.second_factor import SECOND_FACTOR_QUERIES, fresh_code, verified_login

pytestmark = pytest.mark.django_db


def _post_upload(client, mission, content, name="cases.csv", fmt="htcds"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        reverse("intake:job_list"),
        {
            "mission": mission.pk,
            "format": fmt,
            "source": "legacy",
            "file": SimpleUploadedFile(name, data, content_type="text/csv"),
        },
    )


def test_upload_validates_and_shows_the_report_without_values(
    client_for, central_admin, mission_a, django_capture_on_commit_callbacks
):
    client = client_for(central_admin)
    bad = ROWS[1].replace("Joseph", "=Joseph")
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_upload(client, mission_a, csv_text(ROWS[0], bad))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:job_detail", kwargs={"job_id": job.pk})

    page = client.get(response["Location"]).content.decode()
    assert "prs_FirstName" in page
    assert str(messages.message(messages.FORMULA)).replace("'", "&#x27;") in page
    assert "Joseph" not in page
    assert "Amina" not in page
    assert Case.objects.count() == 0


def test_confirming_a_file_with_errors_needs_the_explicit_choice(
    client_for, central_admin, mission_a, django_capture_on_commit_callbacks
):
    client = client_for(central_admin)
    with django_capture_on_commit_callbacks(execute=True):
        _post_upload(client, mission_a, csv_text(ROWS[0], ROWS[1].replace("Masculine", "Male")))
    job = ImportJob.objects.get()
    url = reverse("intake:job_confirm", kwargs={"job_id": job.pk})

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {})
    assert Case.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"import_valid_rows": "on"})
    job.refresh_from_db()
    assert (job.status, job.rows_imported) == (ImportJob.Status.SUCCEEDED, 1)

    detail = client.get(reverse("intake:job_detail", kwargs={"job_id": job.pk})).content.decode()
    reference = Case.objects.get().reference
    assert reference in detail
    rejected = client.get(reverse("intake:job_rejected", kwargs={"job_id": job.pk}))
    body = b"".join(rejected.streaming_content).decode("utf-8-sig")
    assert "prs_Gender: unknown_code" in body
    again = client.get(reverse("intake:job_rejected", kwargs={"job_id": job.pk}))
    assert again.status_code == 410


def test_an_oversized_upload_is_refused_on_the_form(client_for, central_admin, mission_a, settings):
    settings.HARBOUR_IMPORT_MAX_BYTES = 10
    response = _post_upload(client_for(central_admin), mission_a, csv_text(*ROWS))
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [TOO_LARGE_MESSAGE % {"limit": 0}]
    assert ImportJob.objects.count() == 0


def test_a_file_that_is_not_csv_or_xlsx_is_refused_with_a_clear_message(
    client_for, central_admin, mission_a, django_capture_on_commit_callbacks
):
    client = client_for(central_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_upload(client, mission_a, b"\x00\x01\x02", name="photo.jpg")
    job = ImportJob.objects.get()
    assert job.failure == messages.NOT_CSV_OR_XLSX
    page = client.get(response["Location"]).content.decode()
    assert str(messages.message(messages.NOT_CSV_OR_XLSX)) in page


def test_bad_form_input_is_an_error_not_a_500(client_for, central_admin, mission_a):
    client = client_for(central_admin)
    response = client.post(
        reverse("intake:job_list"), {"mission": "nope", "format": "pdf", "source": "=x"}
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"mission", "format", "file"}
    assert ImportJob.objects.count() == 0


def test_the_progress_fragment_polls_in_the_background_while_running(
    client_for, central_admin, mission_a
):
    job = ImportJob.objects.create(
        format="htcds",
        source="legacy",
        mission=mission_a,
        file_name_hash="0" * 64,
        status=ImportJob.Status.IMPORTING,
        rows_validated=10,
        rows_imported=4,
    )
    response = client_for(central_admin).get(
        reverse("intake:job_progress", kwargs={"job_id": job.pk}), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert """hx-headers='{"X-Harbour-Background": "1"}'""" in html
    assert 'value="4"' in html
    assert "<html" not in html


def test_the_list_is_paginated_with_a_fixed_number_of_queries(
    client_for, central_admin, mission_a, django_assert_max_num_queries
):
    for _ in range(JOBS_PER_PAGE + 1):
        ImportJob.objects.create(
            format="htcds", source="legacy", mission=mission_a, file_name_hash="0" * 64
        )
    client = client_for(central_admin)
    # Session, user, role checks, the count, the page, the form's missions.
    with django_assert_max_num_queries(9 + SECOND_FACTOR_QUERIES):
        response = client.get(reverse("intake:job_list"))
    assert len(response.context["page_obj"]) == JOBS_PER_PAGE


def test_the_template_lists_every_column_with_its_codes(client_for, central_admin):
    response = client_for(central_admin).get(reverse("intake:template"))
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    header = next(workbook["cases"].iter_rows(values_only=True))
    assert header[:2] == ("external_id", "cas_RegistrationDate")
    rows = {row[0]: row for row in workbook["columns"].iter_rows(values_only=True)}
    assert "Feminine = Feminine" in rows["prs_Gender"][4]
    assert "ForcedLabour" in rows["vic_TypeOfExploitation"][4]
    assert "NPL" in rows["prs_Citizenship"][4]
    assert "hte_Type_1 … hte_Type_5" in rows


def test_caseworkers_and_researchers_cannot_upload(client_for, caseworker_a, researcher, mission_a):
    for user in (caseworker_a, researcher):
        response = _post_upload(client_for(user), mission_a, csv_text(*ROWS))
        assert response.status_code == 404
    assert ImportJob.objects.count() == 0


# Re-authentication: importing and the rejected rows are identities in bulk ------------------

REAUTH_URL = reverse("accounts:reauthenticate")


def _age_verification(client, minutes=60):
    session = client.session
    session[VERIFIED_AT_SESSION_KEY] = (
        timezone.now() - datetime.timedelta(minutes=minutes)
    ).isoformat()
    session.save()


def _reauth_location(back: str) -> str:
    return f"{REAUTH_URL}?{urlencode({'next': back})}"


def test_a_stale_session_confirms_a_factor_before_an_upload(client, central_admin, mission_a):
    verified_login(client, central_admin)
    _age_verification(client)

    response = _post_upload(client, mission_a, csv_text(*ROWS))

    assert response["Location"] == _reauth_location(reverse("intake:job_list"))
    assert ImportJob.objects.count() == 0
    assert client.get(reverse("intake:job_list")).status_code == 200


def test_a_stale_session_confirms_a_factor_before_an_import_starts(
    client, central_admin, mission_a, django_capture_on_commit_callbacks
):
    device = verified_login(client, central_admin)
    with django_capture_on_commit_callbacks(execute=True):
        _post_upload(client, mission_a, csv_text(*ROWS))
    job = ImportJob.objects.get()
    status = job.status
    detail_url = reverse("intake:job_detail", kwargs={"job_id": job.pk})
    confirm_url = reverse("intake:job_confirm", kwargs={"job_id": job.pk})
    _age_verification(client)

    refused = client.post(confirm_url, {})
    job.refresh_from_db()
    assert refused["Location"] == _reauth_location(detail_url)
    assert (job.status, Case.objects.count()) == (status, 0)

    confirmed = client.post(REAUTH_URL, {"otp_token": fresh_code(device), "next": detail_url})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirm_url, {})
    job.refresh_from_db()
    assert confirmed["Location"] == detail_url
    assert (job.status, Case.objects.count()) == (ImportJob.Status.SUCCEEDED, 2)


def test_the_rejected_rows_wait_for_a_fresh_factor_and_are_not_spent_meanwhile(
    client, central_admin, mission_a, django_capture_on_commit_callbacks
):
    device = verified_login(client, central_admin)
    with django_capture_on_commit_callbacks(execute=True):
        _post_upload(client, mission_a, csv_text(ROWS[0], ROWS[1].replace("Masculine", "Male")))
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("intake:job_confirm", kwargs={"job_id": job.pk}), {"import_valid_rows": "on"}
        )
    rejected_url = reverse("intake:job_rejected", kwargs={"job_id": job.pk})
    _age_verification(client)

    refused = client.get(rejected_url)
    assert refused["Location"] == _reauth_location(rejected_url)

    confirmed = client.post(REAUTH_URL, {"otp_token": fresh_code(device), "next": rejected_url})
    assert confirmed["Location"] == rejected_url
    # The refused request did not spend the file: it is delivered now, once.
    rejected = client.get(rejected_url)
    assert rejected.status_code == 200
    assert "prs_Gender: unknown_code" in b"".join(rejected.streaming_content).decode("utf-8-sig")
