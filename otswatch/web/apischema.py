"""The OpenAPI 3.0 description of the read-only API (checked against it by schemathesis)."""

from __future__ import annotations

from typing import Any

_NULLABLE_STR = {"type": "string", "nullable": True}
_TIME = {"type": "string", "format": "date-time"}
_ERROR = {
    "description": "error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_AUTH = {
    "description": "a login or OTSWATCH_WEB_TOKEN is needed",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _ok(schema: str) -> dict[str, Any]:
    return {
        "description": "ok",
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


_LIMIT = _query(
    "limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}, "how many to return"
)
_TEXT = {"type": "string", "maxLength": 200}

OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "otswatch API",
        "version": "1",
        "description": "Read-only: flagged events, stored items, stories, sources. Beyond "
        "loopback it needs a login session or the OTSWATCH_WEB_TOKEN as a Bearer token.",
    },
    "security": [{"bearer": []}, {}],
    "paths": {
        "/api/flags": {
            "get": {
                "summary": "Flagged events, newest first",
                "parameters": [
                    _query("watch", _TEXT, "only this watch"),
                    _query("level", {"type": "string", "enum": ["core", "related"]}, "level"),
                    _query("lang", _TEXT, "language code of a report"),
                    _query("source", _TEXT, "source name"),
                    _query("period", {"type": "string", "enum": ["1d", "7d", "30d"]}, "time"),
                    _query("q", _TEXT, "words that must all occur (quotes keep a phrase)"),
                    _LIMIT,
                ],
                "responses": {"200": _ok("Events"), "400": _ERROR, "401": _AUTH},
            }
        },
        "/api/items": {
            "get": {
                "summary": "Stored items, newest first, flagged or not",
                "parameters": [
                    _query("source", _TEXT, "source name"),
                    _query("q", _TEXT, "words that must all occur"),
                    _LIMIT,
                ],
                "responses": {"200": _ok("Items"), "400": _ERROR, "401": _AUTH},
            }
        },
        "/api/stories/{key}": {
            "get": {
                "summary": "Every report of a story, and its delivery history",
                "parameters": [
                    {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": _ok("Story"), "404": _ERROR, "401": _AUTH},
            }
        },
        "/api/sources": {
            "get": {
                "summary": "The health of every source",
                "responses": {"200": _ok("Sources"), "401": _AUTH},
            }
        },
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "string"}},
            },
            "Evidence": {
                "type": "object",
                "required": ["text", "field", "rule"],
                "properties": {
                    "text": {"type": "string"},
                    "field": {"type": "string", "enum": ["title", "summary", "text"]},
                    "rule": {"type": "string"},
                },
            },
            "Item": {
                "type": "object",
                "required": [
                    "id",
                    "url",
                    "title",
                    "published",
                    "lang",
                    "source",
                    "story",
                    "flagged",
                    "score",
                    "evidence",
                ],
                "properties": {
                    "id": {"type": "integer"},
                    "url": {"type": "string"},
                    "title": {"type": "string"},
                    "summary": {"type": "string"},
                    "published": _TIME,
                    "fetched": {**_TIME, "nullable": True},
                    "lang": {"type": "string"},
                    "lang_confidence": {"type": "number"},
                    "source": {"type": "string"},
                    "story": {"type": "string"},
                    "flagged": {"type": "boolean"},
                    "level": {"type": "string", "enum": ["core", "related"], "nullable": True},
                    "score": {"type": "number"},
                    "watch": _NULLABLE_STR,
                    "evidence": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Evidence"},
                    },
                },
            },
            "Items": {
                "type": "object",
                "required": ["items"],
                "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
                },
            },
            "Event": {
                "type": "object",
                "required": [
                    "story",
                    "watch",
                    "level",
                    "score",
                    "title",
                    "url",
                    "published",
                    "outlets",
                    "languages",
                    "reports",
                ],
                "properties": {
                    "story": {"type": "string"},
                    "watch": {"type": "string"},
                    "level": {"type": "string", "enum": ["core", "related"]},
                    "score": {"type": "number"},
                    "title": {"type": "string"},
                    "url": {"type": "string"},
                    "published": _TIME,
                    "outlets": {"type": "array", "items": {"type": "string"}},
                    "languages": {"type": "array", "items": {"type": "string"}},
                    "reports": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                },
            },
            "Events": {
                "type": "object",
                "required": ["events"],
                "properties": {
                    "events": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}
                },
            },
            "Delivery": {
                "type": "object",
                "required": ["id", "destination", "kind", "status", "attempts", "created_at"],
                "properties": {
                    "id": {"type": "integer"},
                    "destination": {"type": "string"},
                    "kind": {"type": "string", "enum": ["instant", "digest", "notice"]},
                    "status": {"type": "string", "enum": ["pending", "sent", "failed"]},
                    "attempts": {"type": "integer"},
                    "created_at": _TIME,
                    "sent_at": {**_TIME, "nullable": True},
                    "last_error": _NULLABLE_STR,
                },
            },
            "Story": {
                "type": "object",
                "required": ["story", "reports", "deliveries"],
                "properties": {
                    "story": {"type": "string"},
                    "reports": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                    "deliveries": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Delivery"},
                    },
                },
            },
            "Source": {
                "type": "object",
                "required": ["name", "url", "type", "ok", "consecutive_failures", "items_total"],
                "properties": {
                    "name": {"type": "string"},
                    "url": {"type": "string"},
                    "type": {"type": "string", "enum": ["feed", "site"]},
                    "ok": {"type": "boolean"},
                    "problem": _NULLABLE_STR,
                    "consecutive_failures": {"type": "integer"},
                    "last_success": {**_TIME, "nullable": True},
                    "last_error": _NULLABLE_STR,
                    "items_total": {"type": "integer"},
                    "items_last_7d": {"type": "integer"},
                    "newest_item": {**_TIME, "nullable": True},
                },
            },
            "Sources": {
                "type": "object",
                "required": ["sources"],
                "properties": {
                    "sources": {"type": "array", "items": {"$ref": "#/components/schemas/Source"}}
                },
            },
        },
    },
}
