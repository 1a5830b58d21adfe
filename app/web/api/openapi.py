"""The API's OpenAPI 3.1 document, served at /api/v1/openapi.json.

The shapes of the answers come from the marshmallow schemas that produce them (app/records/exports.py),
through apispec, so the document cannot drift from what the API sends; the paths, parameters and
refusals are written here, next to the routes. tests/web/test_api_openapi.py checks that every API
route is in the document, and fuzzes the API against it with Schemathesis.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from app.records import exports

SESSION_COOKIE = {"cookieAuth": []}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


REFUSALS = {
    "401": _error("Not signed in: sign in on the site first; the API uses the browser's session."),
    "403": _error("Your role does not take training, so you have no CPD record."),
    "503": _error("The database is unavailable for a moment; nothing was changed. Try again after Retry-After."),
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {
                "status": {"type": "integer"},
                "message": {"type": "string"},
                "reference": {"type": "string", "description": "Quote this to your administrator."},
            },
        }
    },
}

# An xAPI 1.0.3 statement, as far as this API promises: app/records/xapi.py builds them, and
# tests/records/test_xapi.py checks them against the xAPI rules in full.
STATEMENT = {
    "type": "object",
    "required": ["id", "actor", "verb", "object", "timestamp"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "actor": {"type": "object"},
        "verb": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
        "object": {"type": "object"},
        "result": {"type": "object"},
        "context": {"type": "object"},
        "timestamp": {"type": "string"},
    },
}


def build_openapi_document(server_url: str) -> dict[str, Any]:
    spec = APISpec(
        title="SEND Ready API",
        version="1",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "Your own CPD record, read-only, as JSON and as xAPI statements. Sign in on the site "
            "first: the API uses the browser's session cookie."
        },
        servers=[{"url": server_url}],
    )
    for name, schema in [
        ("Detail", exports.DetailSchema),
        ("Qualification", exports.QualificationSchema),
        ("YearTotal", exports.YearTotalSchema),
        ("CategoryTotal", exports.CategoryTotalSchema),
        ("Entry", exports.EntrySchema),
        ("Record", exports.RecordSchema),
    ]:
        spec.components.schema(name, schema=schema)
    spec.components.schema("Error", ERROR)
    spec.components.schema("Statement", STATEMENT)
    spec.components.security_scheme("cookieAuth", {"type": "apiKey", "in": "cookie", "name": "send_ready_session"})
    spec.path(
        path="/api/v1/me/cpd",
        operations={
            "get": {
                "operationId": "my_cpd",
                "summary": "Your CPD record: its totals and entries, and whether its ledger chain verifies",
                "security": [SESSION_COOKIE],
                "parameters": [
                    {
                        "name": "year",
                        "in": "query",
                        "required": False,
                        "description": "Only this academic year (the year it starts, e.g. 2025); anything that is "
                        "not such a year shows every year.",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "kind",
                        "in": "query",
                        "required": False,
                        "description": "Only entries of this kind (e.g. external_cpd_recorded); anything odd shows "
                        "every kind.",
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "Your record",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Record"}}},
                    },
                    **REFUSALS,
                },
            }
        },
    )
    spec.path(
        path="/api/v1/me/xapi",
        operations={
            "get": {
                "operationId": "my_xapi",
                "summary": "Your CPD record as xAPI 1.0.3 statements, oldest first",
                "security": [SESSION_COOKIE],
                "responses": {
                    "200": {
                        "description": "A StatementResult holding every statement",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["statements", "more"],
                                    "properties": {
                                        "statements": {
                                            "type": "array",
                                            "items": {"$ref": "#/components/schemas/Statement"},
                                        },
                                        "more": {"type": "string"},
                                    },
                                }
                            }
                        },
                    },
                    **REFUSALS,
                },
            }
        },
    )
    spec.path(
        path="/api/v1/openapi.json",
        operations={
            "get": {
                "operationId": "openapi_document",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 document",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    )
    return spec.to_dict()
