"""The QloApps simulator's OpenAPI document (the webservice resources it serves, and its /_sim control plane)."""

from __future__ import annotations

from typing import Any

from simulators.apidocs import operation, path_param

RESOURCE = path_param("resource", "hotels, room_types, hotel_ari, bookings, customers, orders, ...")
ID = path_param("id", "Resource id")
FORMAT = {
    "name": "output_format",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": ["JSON", "XML"]},
    "description": "JSON (exactly that spelling) or the default XML",
}


def spec() -> dict[str, Any]:
    ws = {"tags": ["webservice (/api)"], "security": [{"basic": []}]}
    control = {"tags": ["control plane (/_sim)"]}
    xml_or_json = {"200": "The resource, XML by default, JSON with output_format=JSON",
                   "401": "Bad webservice key", "404": "No such resource"}  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "QloApps webservice simulator",
            "version": "1",
            "description": "The QloApps 1.7 webservice (HTTP Basic with the webservice key as user) and the /_sim "
            "control plane. See docs/qloapps-simulator.md.",
        },
        "components": {"securitySchemes": {"basic": {"type": "http", "scheme": "basic"}}},
        "paths": {
            "/api": {
                "get": operation("Resources this key may use", parameters=[FORMAT], responses=xml_or_json, **ws)
            },  # fmt: skip
            "/api/{resource}": {
                "parameters": [RESOURCE, FORMAT],
                "get": operation("List (display, filter[...], sort, limit)", responses=xml_or_json, **ws),
                "post": operation(
                    "Create (XML body; hotel_ari answers availability)",
                    body=True,
                    responses={"201": "Created", "200": "hotel_ari answer", "400": "Error code and message"},
                    **ws,
                ),
            },  # fmt: skip
            "/api/{resource}/{id}": {
                "parameters": [RESOURCE, ID, FORMAT],
                "get": operation("One resource", responses=xml_or_json, **ws),
                "put": operation("Replace", body=True, **ws),
                "delete": operation("Delete", **ws),
            },
            "/_sim/health": {"get": operation("Simulator health", **control)},
            "/_sim/reset": {"post": operation("Back to the seed", **control)},
            "/_sim/state": {"get": operation("Inventory and bookings", **control)},
            "/_sim/journal": {"get": operation("What happened", **control), "delete": operation("Clear", **control)},
            "/_sim/faults": {
                "get": operation("Active faults", **control),
                "post": operation("Add a fault (latency, errors, hang, drop, down)", body=True, **control),
                "delete": operation("Clear faults", **control),
            },
            "/_sim/clock": {
                "get": operation("Clock", **control),
                "post": operation("Set the clock", body=True, **control),
            },  # fmt: skip
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text"}}}},
        },
    }
