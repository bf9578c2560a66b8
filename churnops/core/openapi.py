"""OpenAPI post-processing: document the error responses every endpoint can give.

drf-spectacular documents what a view returns on success (and what a view declares); the refusals that DRF
itself produces — 403 without credentials or rights, 404 for an unknown id or page, 400 for a bad filter or
body, 413 for an oversized body, 415 for a body that is not JSON — are added here once for every operation.
A view's own 400 schema is kept, widened to "or field errors": DRF answers a malformed body or a bad field
with field errors before the view's own refusal can happen.
"""

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "stable machine-readable reason: branch on this"},
    },
    "required": ["detail"],
}
VALIDATION_SCHEMA = {
    "type": "object",
    "description": "what was wrong: field name -> messages (nested for nested input), or `detail`",
    "additionalProperties": {},
}
_WITH_BODY = {"post", "put", "patch"}


def _response(description: str, ref: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}


def add_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ApiError", ERROR_SCHEMA)
    schemas.setdefault("ValidationErrors", VALIDATION_SCHEMA)
    error, invalid = "#/components/schemas/ApiError", "#/components/schemas/ValidationErrors"
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            query = any(p.get("in") == "query" for p in operation.get("parameters", []))
            responses.setdefault("403", _response("not signed in, or not allowed", error))
            if "{" in path or any(p.get("name") in ("page", "cursor") for p in operation.get("parameters", [])):
                responses.setdefault("404", _response("no such object among those the user may see, or page", error))
            if method in _WITH_BODY or query:
                responses.setdefault("400", _response("invalid input: each problem is named", invalid))
                _widen(responses["400"], invalid)
            if method in _WITH_BODY:
                responses.setdefault("413", _response("request body too large", error))
                responses.setdefault("415", _response("the body is not JSON", error))
    return result


def _widen(response: dict, ref: str) -> None:
    content = response.setdefault("content", {})
    media = content.setdefault("application/json", {})
    schema = media.get("schema")
    if schema is None:
        media["schema"] = {"$ref": ref}
    elif schema.get("$ref") != ref:
        media["schema"] = {"anyOf": [schema, {"$ref": ref}]}
