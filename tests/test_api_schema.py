import re

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

SCHEMA_URL = reverse("api_schema")
DOCS_URL = reverse("api_docs")


@pytest.fixture
def signed_in(client, caseworker_a):
    client.force_login(caseworker_a)
    return client


def test_schema_generates_without_warnings_or_errors(tmp_path):
    out = tmp_path / "schema.yaml"

    # --fail-on-warn turns every generator warning or error into an exception.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    paths = yaml.safe_load(out.read_text())["paths"]
    assert {"/api/v1/cases/", "/api/v1/cases/{case_id}/", "/api/v1/auth/token/"} <= set(paths)


def test_schema_describes_the_case_operations(signed_in):
    paths = yaml.safe_load(signed_in.get(SCHEMA_URL).content)["paths"]

    assert set(paths["/api/v1/cases/"]) == {"get", "post"}
    assert set(paths["/api/v1/cases/{case_id}/"]) == {"get", "put", "patch"}


def test_schema_requires_sign_in(client):
    assert client.get(SCHEMA_URL).status_code in (401, 403)


def test_docs_require_sign_in(client):
    response = client.get(DOCS_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_docs_reference_only_local_assets(signed_in):
    html = signed_in.get(DOCS_URL).content.decode()

    assert not re.search(r"(https?:)?//", html)
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/static/", DOCS_URL))


def test_docs_page_has_no_inline_script_or_style(signed_in):
    response = signed_in.get(DOCS_URL)
    html = response.content.decode()

    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html
    assert not re.search(r"\sstyle=|\son[a-z]+=", html)


def test_docs_start_up_script_is_served_separately(signed_in):
    html = signed_in.get(DOCS_URL).content.decode()
    script_url = re.search(r'<script src="([^"]*\?script=?[^"]*)"', html).group(1)

    response = signed_in.get(script_url.replace("&amp;", "&"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


def test_schema_describes_the_token_header(signed_in):
    schema = yaml.safe_load(signed_in.get(SCHEMA_URL).content)

    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert scheme == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    assert {"tokenAuth": []} in schema["paths"]["/api/v1/cases/"]["get"]["security"]
