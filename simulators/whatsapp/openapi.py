"""The WhatsApp simulator's OpenAPI document (Graph API subset it serves, and the /_sim control plane)."""

from __future__ import annotations

from typing import Any

from simulators.apidocs import operation, path_param

VERSION = path_param("version", "Graph API version, e.g. v21.0 (any vNN.N; the answer echoes it)")
PHONE = path_param("phone_number_id", "Business phone number id")
WABA = path_param("waba_id", "WhatsApp Business Account id")
WA_ID = path_param("wa_id", "The guest's WhatsApp id (digits)")
BEARER = [{"bearer": []}]


def spec() -> dict[str, Any]:
    graph = {"tags": ["Graph API"], "security": BEARER}
    control = {"tags": ["control plane (/_sim)"]}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "WhatsApp Cloud API simulator",
            "version": "1",
            "description": "Graph API endpoints as Meta serves them, signed webhooks to the business, and the "
            "/_sim control plane (virtual guests, faults, clock). See docs/whatsapp-simulator.md; chat at "
            "/_sim/chat.",
        },
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/{version}/{phone_number_id}/messages": {
                "parameters": [VERSION, PHONE],
                "post": operation(
                    "Send a message, mark one read, or show the typing indicator",
                    body=True,
                    responses={
                        "200": "Accepted: contacts and messages[].id",
                        "400": "Meta's error envelope",
                        "401": "Bad token",
                    },  # fmt: skip
                    **graph,
                ),
            },
            "/{version}/{phone_number_id}/media": {
                "parameters": [VERSION, PHONE],
                "post": {
                    "summary": "Upload media (multipart: messaging_product, file, type)",
                    **graph,
                    "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object"}}}},
                    "responses": {"200": {"description": "{id}"}, "400": {"description": "131053 and others"}},
                },
            },
            "/{version}/{object_id}": {
                "parameters": [VERSION, path_param("object_id", "A phone number id or a media id")],
                "get": operation("The phone-number node (?fields= narrows it), or a media object's URL", **graph),
                "delete": operation("Delete media", **graph),
            },
            "/{version}/{waba_id}/message_templates": {
                "parameters": [VERSION, WABA],
                "get": operation("List templates (name, status, language, category, limit, summary)", **graph),
                "post": operation("Create a template (PENDING, approved after review by webhook)", body=True, **graph),
                "delete": operation("Delete a template by name (and hsm_id)", **graph),
            },
            "/{version}/{waba_id}/phone_numbers": {
                "parameters": [VERSION, WABA],
                "get": operation("Phone numbers of the account", **graph),
            },
            "/_sim/health": {"get": operation("Simulator health", **control)},
            "/_sim/guests": {
                "get": operation("List virtual guests", **control),
                "post": operation(
                    "Create or update a guest (wa_id, profile_name, language, ...)",
                    body=True,
                    responses={"200": "Updated", "201": "Created", "400": "Bad input"},
                    **control,
                ),
            },  # fmt: skip
            "/_sim/guests/{wa_id}": {"parameters": [WA_ID], "get": operation("One guest", **control)},
            "/_sim/guests/{wa_id}/messages": {
                "parameters": [WA_ID],
                "post": operation(
                    "The guest writes to the business (text, button, list, location, media, ...)",
                    body=True,
                    responses={"201": "Accepted and queued", "400": "Bad input"},
                    **control,
                ),
            },  # fmt: skip
            "/_sim/guests/{wa_id}/replies": {
                "parameters": [WA_ID],
                "get": operation("Long-poll the business replies after a guest message", **control),
            },
            "/_sim/guests/{wa_id}/conversation": {
                "parameters": [WA_ID],
                "get": operation("The whole conversation with statuses and the 24 h window", **control),
            },
            "/_sim/journal": {"get": operation("What happened, in order (kind, after, limit)", **control)},
            "/_sim/faults": {
                "get": operation("Active faults", **control),
                "post": operation("Set faults (latency, errors, duplicates, batches, ...)", body=True, **control),
                "delete": operation("Clear faults", **control),
            },
            "/_sim/clock": {"get": operation("Simulator clock", **control)},
            "/_sim/clock/advance": {"post": operation("Move the clock forward", body=True, **control)},
            "/_sim/reset": {"post": operation("Forget guests, conversations, media, journal and faults", **control)},
            "/_sim/settings": {
                "get": operation("Current settings", **control),
                "post": operation("Change policies, statuses, payload shape/version, retries", body=True, **control),
            },
            "/_sim/webhook": {
                "post": operation("Point webhooks elsewhere (url, verify token, secret)", body=True, **control)
            },  # fmt: skip
            "/_sim/templates": {
                "get": operation("Template registry", **control),
                "post": operation("Add or replace templates", body=True, **control),
            },
            "/_sim/templates/status": {
                "post": operation(
                    "Change a template's status and send message_template_status_update",
                    body=True,
                    responses={"202": "Webhook queued", "404": "No such template"},
                    **control,
                ),
            },  # fmt: skip
            "/_sim/errors": {
                "post": operation(
                    "Send a value-level errors webhook",
                    body=True,
                    responses={"202": "Webhook queued", "400": "Bad input"},
                    **control,
                ),
            },  # fmt: skip
            "/_sim/chat": {
                "get": {"summary": "The chat page (HTML)", **control, "responses": {"200": {"description": "HTML"}}}
            },  # fmt: skip
            "/_sim/chat/events": {
                "get": {
                    "summary": "Live events for the chat page (text/event-stream)",
                    **control,
                    "responses": {"200": {"description": "Server-sent events"}},
                }
            },  # fmt: skip
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text"}}}},
        },
    }
