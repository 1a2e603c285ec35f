import re

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from config.api.schema import require_version_on_partial_updates
from tests.second_factor import verified_login

pytestmark = pytest.mark.django_db

SCHEMA_URL = reverse("api_schema")
DOCS_URL = reverse("api_docs")


@pytest.fixture
def signed_in(client, caseworker_a):
    verified_login(client, caseworker_a)
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


# --- `version` is required in the schema wherever the server requires it (issue 12 §4) ---------

# Every PATCH refuses a body without the version last read; drf-spectacular would describe these
# bodies as partial (nothing required) without config.api.schema's hook.
PATCH_OPERATIONS_REQUIRING_VERSION = {
    "/api/v1/cases/{case_id}/",
    "/api/v1/assistance-interviews/{interview_id}/",
    "/api/v1/assistance-services/{service_id}/",
    "/api/v1/reintegration-assistance/{reintegration_item_id}/",
    "/api/v1/screenings/{screening_id}/sections/{section}/",
}
# Create-or-replace: the first PUT creates the plan without a version, later ones need it (the
# server answers 400 then). The schema cannot say "required if it exists"; the description does.
VERSION_REQUIRED_ONLY_WHEN_REPLACING = {
    ("put", "/api/v1/cases/{case_id}/support-plan/"),
    ("put", "/api/v1/cases/{case_id}/reintegration-plan/"),
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    out = tmp_path_factory.mktemp("schema") / "schema.yaml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--file", str(out))
    return yaml.safe_load(out.read_text())


def body_components(schema, body_schema):
    components = schema["components"]["schemas"]
    if "$ref" in body_schema:
        component = components[body_schema["$ref"].rsplit("/", 1)[-1]]
        return body_components(schema, component) if "oneOf" in component else [component]
    return [c for choice in body_schema.get("oneOf", []) for c in body_components(schema, choice)]


def bodies_with_version(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if not body:
                continue
            for content in body["content"].values():
                for component in body_components(schema, content["schema"]):
                    if "version" in component.get("properties", {}):
                        yield method, path, body, component


def test_patch_operations_mark_version_required(schema):
    found = set()
    for method, path, body, component in bodies_with_version(schema):
        if method == "patch":
            found.add(path)
            assert "version" in component.get("required", []), path
            assert body.get("required") is True, path

    assert found == PATCH_OPERATIONS_REQUIRING_VERSION


def test_every_body_with_a_version_requires_it_except_create_or_replace(schema):
    optional = {
        (method, path)
        for method, path, _body, component in bodies_with_version(schema)
        if "version" not in component.get("required", [])
    }

    assert optional == VERSION_REQUIRED_ONLY_WHEN_REPLACING


def test_patch_bodies_keep_their_other_fields_optional(schema):
    # Only the version is forced: a PATCH still sends only the fields it changes.
    for method, path, _body, component in bodies_with_version(schema):
        if method == "patch" and path == "/api/v1/cases/{case_id}/":
            assert component["required"] == ["version"]


def test_the_server_refuses_a_case_patch_without_the_version(client_for, caseworker_a, case_a):
    url = reverse("cases_api:case_item", kwargs={"case_id": case_a.pk})

    response = client_for(caseworker_a).patch(url, {"phone": "1"}, content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"version"}
    case_a.refresh_from_db()
    assert case_a.version == 1


def test_version_hook_resolves_polymorphic_bodies_and_leaves_other_methods():
    result = {
        "paths": {
            "/a/": {
                "patch": {"requestBody": {"content": {"j": {"schema": {"$ref": "#/c/Poly"}}}}},
                "post": {"requestBody": {"content": {"j": {"schema": {"$ref": "#/c/Post"}}}}},
            },
            "/b/": {"patch": {"requestBody": {"content": {"j": {"schema": {"$ref": "#/c/NoV"}}}}}},
        },
        "components": {
            "schemas": {
                "Poly": {"oneOf": [{"$ref": "#/c/One"}, {"$ref": "#/c/Two"}]},
                "One": {"properties": {"version": {}, "a": {}}},
                "Two": {"properties": {"version": {}}, "required": ["b"]},
                "Post": {"properties": {"version": {}}},
                "NoV": {"properties": {"a": {}}},
            }
        },
    }

    out = require_version_on_partial_updates(result, None, None, True)

    schemas = out["components"]["schemas"]
    assert schemas["One"]["required"] == ["version"]
    assert schemas["Two"]["required"] == ["b", "version"]
    assert "required" not in schemas["Post"]
    assert "required" not in schemas["NoV"]
    assert out["paths"]["/a/"]["patch"]["requestBody"]["required"] is True
    assert "required" not in out["paths"]["/b/"]["patch"]["requestBody"]


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
