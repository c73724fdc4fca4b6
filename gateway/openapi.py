"""The OpenAPI document at `/api/v1/openapi.json`, built from the routes as they are registered."""
from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

ROLE_SECURITY = {"provider": "mutualTLS", "corv": "mutualTLS", "backoffice": "bearer", "operator": "bearer"}
SECURITY_SCHEMES = {
    "mutualTLS": {"type": "mutualTLS", "description": "Care providers and chain partners: client certificate "
                  "whose subject serialNumber (AGB code or OIN) or SHA-256 fingerprint is configured."},
    "bearer": {"type": "http", "scheme": "bearer", "description": "Backoffice systems and operators: a "
               "configured token with role backoffice or operator."},
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["errors"],
    "properties": {"errors": {"type": "array", "items": {
        "type": "object", "required": ["message"], "properties": {"message": {"type": "string"}},
    }}},
}


class OpenApi:
    def __init__(self, title: str, version: str) -> None:
        self._info = {"title": title, "version": version}
        self._paths: dict[str, dict[str, Any]] = {}
        self._schemas: dict[str, Any] = {"Errors": ERROR_SCHEMA}

    def add_operation(self, method: str, path: str, *, summary: str, access: frozenset[str],
                      operation: Mapping[str, Any] | None = None) -> None:
        """Document one route; `operation` adds OpenAPI operation fields (requestBody, responses, tags, ...)."""
        template = re.sub(r"\{(\w+):[^}]+\}", r"{\1}", path)
        errors = {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}
        entry: dict[str, Any] = {
            "summary": summary, "responses": {"default": {"description": "error", "content": errors}},
        }
        names = re.findall(r"\{(\w+)\}", template)
        if names:
            entry["parameters"] = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                                   for name in names]
        schemes = sorted({ROLE_SECURITY[role] for role in access})
        entry["security"] = [{scheme: []} for scheme in schemes]
        if access:
            entry["description"] = f"For: {', '.join(sorted(access))}."
        for key, value in (operation or {}).items():
            if isinstance(value, Mapping) and isinstance(entry.get(key), dict):
                entry[key] = {**entry[key], **value}
            elif isinstance(value, list) and isinstance(entry.get(key), list):
                entry[key] = entry[key] + list(value)
            else:
                entry[key] = value
        self._paths.setdefault(template, {})[method.lower()] = entry

    def document(self, server_url: str) -> dict[str, Any]:
        return copy.deepcopy({
            "openapi": "3.1.0",
            "info": self._info,
            "servers": [{"url": server_url}],
            "paths": dict(sorted(self._paths.items())),
            "components": {"schemas": self._schemas, "securitySchemes": SECURITY_SCHEMES},
        })
