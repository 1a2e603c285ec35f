"""OpenAPI schema post-processing (drf-spectacular POSTPROCESSING_HOOKS)."""

from __future__ import annotations

from typing import Any

VERSION_FIELD = "version"


def _body_components(schema: dict[str, Any], components: dict[str, Any]) -> list[dict[str, Any]]:
    """The object components a body schema stands for: a $ref, or each choice of a oneOf
    (a polymorphic body, itself a component holding a oneOf of components)."""
    if "$ref" in schema:
        component = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
        return _body_components(component, components) if "oneOf" in component else [component]
    found = []
    for choice in schema.get("oneOf", []):
        found.extend(_body_components(choice, components))
    return found


def require_version_on_partial_updates(result, generator, request, public):
    """Mark ``version`` required in every PATCH body that has it.

    drf-spectacular describes a PATCH body as a partial serializer and so drops every
    ``required``; but every PATCH here refuses a body without the ``version`` last read (the
    serializers' ``validate`` or a non-partial serializer), so the schema must say so too, or a
    generated client would send a PATCH that can only fail.
    """
    components = result.get("components", {}).get("schemas", {})
    for operations in result.get("paths", {}).values():
        body = operations.get("patch", {}).get("requestBody")
        if not body:
            continue
        for content in body.get("content", {}).values():
            for component in _body_components(content.get("schema", {}), components):
                if VERSION_FIELD in component.get("properties", {}):
                    component["required"] = sorted({*component.get("required", []), VERSION_FIELD})
                    body["required"] = True
    return result
