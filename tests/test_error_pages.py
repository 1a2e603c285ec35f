import pytest


@pytest.mark.django_db
def test_unknown_api_url_answers_in_the_api_error_shape(client_for, caseworker_a):
    response = client_for(caseworker_a).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"message": "Not found.", "code": "not_found", "errors": {}}


@pytest.mark.django_db
def test_unknown_page_uses_the_site_layout_and_echoes_nothing(client_for, caseworker_a):
    response = client_for(caseworker_a).get("/no-such-page/?name=Secret")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Harbour" in body
    assert "Secret" not in body
    assert "no-such-page" not in body
