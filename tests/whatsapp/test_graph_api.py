"""Graph API conformance: success shapes, limits and Meta's error envelope for every code we produce."""

from __future__ import annotations

import pytest

from simulators.whatsapp.errors import ERROR_CODES
from tests.whatsapp.conftest import AUTH, GUEST, PNID, Harness, assert_envelope

WA = {"messaging_product": "whatsapp", "to": GUEST}


def buttons(*titles: str) -> dict:
    return {
        **WA,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "¿Qué prefieres?"},
            "action": {
                "buttons": [{"type": "reply", "reply": {"id": f"b{i}", "title": t}} for i, t in enumerate(titles)]
            },
        },
    }


def list_msg(rows_per_section: list[int], row_title: str = "Doble") -> dict:
    sections = [
        {
            "title": f"S{s}",
            "rows": [{"id": f"r{s}-{i}", "title": row_title, "description": "Con vistas"} for i in range(n)],
        }
        for s, n in enumerate(rows_per_section)
    ]
    return {
        **WA,
        "type": "interactive",
        "interactive": {"type": "list", "body": {"text": "Elige"}, "action": {"button": "Ver", "sections": sections}},
    }


@pytest.fixture
def g(fresh: Harness) -> Harness:
    """A harness whose guest has an open window."""
    fresh.guest_says("hola")
    return fresh


def test_text_send_returns_meta_success_shape(g: Harness) -> None:
    r = g.text(to="+34 600-111-222", body="¡Hola!")
    assert r.status_code == 200
    body = r.json()
    assert list(body) == ["messaging_product", "contacts", "messages"]
    assert body["contacts"] == [{"input": "+34 600-111-222", "wa_id": GUEST}]
    assert body["messages"][0]["id"].startswith("wamid.")
    assert list(body["messages"][0]) == ["id"]
    assert r.headers["x-fb-trace-id"] and r.headers["facebook-api-version"]


@pytest.mark.parametrize("version", ["v21.0", "v25.0", "v14.0", None])
def test_any_version_prefix_and_unversioned_paths_are_accepted(g: Harness, version: str | None) -> None:
    path = f"/{version}/{PNID}/messages" if version else f"/{PNID}/messages"
    r = g.http.post(path, json={**WA, "text": {"body": "x"}}, headers=AUTH)
    assert r.status_code == 200, r.text


def test_type_defaults_to_text(g: Harness) -> None:
    assert g.send({**WA, "text": {"body": "sin type"}}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        buttons("Sí", "No", "Quizá"),
        list_msg([5, 5]),
        {
            **WA,
            "type": "interactive",
            "interactive": {
                "type": "cta_url",
                "body": {"text": "Reserva"},
                "action": {"name": "cta_url", "parameters": {"display_text": "Abrir", "url": "https://h.es/r"}},
            },
        },
        {**WA, "type": "image", "image": {"link": "https://h.es/a.jpg", "caption": "Habitación"}},
        {**WA, "type": "document", "document": {"link": "https://h.es/a.pdf", "filename": "factura.pdf"}},
        {**WA, "type": "audio", "audio": {"link": "https://h.es/a.ogg"}},
        {**WA, "type": "video", "video": {"link": "https://h.es/a.mp4"}},
        {**WA, "type": "sticker", "sticker": {"link": "https://h.es/a.webp"}},
        {**WA, "type": "location", "location": {"latitude": 40.4, "longitude": -3.7, "name": "Hotel"}},
        {**WA, "type": "contacts", "contacts": [{"name": {"formatted_name": "Recepción"}}]},
        {**WA, "type": "template", "template": {"name": "promo", "language": {"code": "es"}}},
    ],
    ids=[
        "button",
        "list",
        "cta_url",
        "image",
        "document",
        "audio",
        "video",
        "sticker",
        "location",
        "contacts",
        "template",
    ],
)
def test_every_message_type_is_accepted(g: Harness, body: dict) -> None:
    r = g.send(body)
    assert r.status_code == 200, r.text
    assert r.json()["messages"][0]["id"].startswith("wamid.")
    out = [m for m in g.state.conversations[GUEST] if m.direction == "out"]
    assert out[-1].payload == body


def test_contextual_reply_is_recorded_with_its_context(g: Harness) -> None:
    inbound = g.guest_says("¿precio?")
    r = g.text(body="100 €", context={"message_id": inbound["wamid"]})
    assert r.status_code == 200
    assert g.state.messages[r.json()["messages"][0]["id"]].payload["context"] == {"message_id": inbound["wamid"]}


def test_mark_as_read_and_typing_indicator_return_success(g: Harness) -> None:
    inbound = g.guest_says("hola de nuevo")
    r = g.send({"messaging_product": "whatsapp", "status": "read", "message_id": inbound["wamid"]})
    assert r.status_code == 200 and r.json() == {"success": True}
    r = g.send(
        {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": inbound["wamid"],
            "typing_indicator": {"type": "text"},
        }
    )
    assert r.json() == {"success": True}
    marks = [s["status"] for s in g.state.messages[inbound["wamid"]].statuses]
    assert marks == ["read", "typing"]
    # Marking the latest read marks earlier inbound messages too.
    first = g.state.conversations[GUEST][0]
    assert any(s["status"] == "read" for s in first.statuses)


def test_mark_as_read_of_unknown_message_is_invalid_parameter(g: Harness) -> None:
    r = g.send({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.nope"})
    assert_envelope(r, 400, 100, details="Invalid message_id")


def test_missing_token_is_190_with_401_and_www_authenticate(g: Harness) -> None:
    r = g.http.post(f"/v21.0/{PNID}/messages", json={**WA, "text": {"body": "x"}})
    err = assert_envelope(r, 401, 190)
    assert err["message"] == "Invalid OAuth access token - Cannot parse access token"
    assert r.headers["www-authenticate"].startswith('OAuth "Facebook Platform" "invalid_token"')


def test_wrong_token_is_190(g: Harness) -> None:
    r = g.send({**WA, "text": {"body": "x"}}, headers={"Authorization": "Bearer wrong"})
    assert_envelope(r, 401, 190)
    assert "invalid_token" in r.headers["www-authenticate"]
    assert [m for m in g.state.conversations[GUEST] if m.direction == "out"] == []


def test_unknown_phone_number_id_is_100_subcode_33(g: Harness) -> None:
    r = g.send({**WA, "text": {"body": "x"}}, pnid="999999")
    err = assert_envelope(r, 400, 100, subcode=33, etype="GraphMethodException")
    assert err["message"].startswith("Unsupported post request. Object with ID '999999' does not exist")
    assert "invalid_request" in r.headers["www-authenticate"]


def test_malformed_json_is_100(g: Harness) -> None:
    r = g.http.post(f"/v21.0/{PNID}/messages", content=b'{"messaging_product": "whats', headers=AUTH)
    assert_envelope(r, 400, 100, details="not valid JSON")


def test_missing_messaging_product_is_100_with_meta_message(g: Harness) -> None:
    r = g.send({"to": GUEST, "text": {"body": "x"}})
    err = assert_envelope(r, 400, 100)
    assert err["message"] == "(#100) The parameter messaging_product is required."


def test_text_over_4096_characters_is_rejected_with_meta_message(g: Harness) -> None:
    assert g.text(body="a" * 4096).status_code == 200
    err = assert_envelope(g.text(body="a" * 4097), 400, 100)
    assert err["message"] == "(#100) Param text['body'] must be at most 4096 characters long."


@pytest.mark.parametrize(
    ("body", "code", "details"),
    [
        (buttons("Un título demasiado largo"), 131009, "Button title length invalid. Min length: 1, Max length: 20"),
        (buttons(""), 131009, "Button title length invalid"),
        (buttons("A", "B", "C", "D"), 131009, "Number of buttons invalid"),
        (buttons("A", "A"), 131009, "unique"),
        (list_msg([6, 5]), 131009, "Invalid number of rows"),
        (list_msg([1] * 11), 131009, "Invalid number of sections"),
        (list_msg([2], row_title="x" * 25), 100, "at most 24 characters"),
        (
            {
                **WA,
                "type": "interactive",
                "interactive": {
                    "type": "cta_url",
                    "body": {"text": "x"},
                    "action": {"name": "cta_url", "parameters": {"display_text": "x" * 21, "url": "https://h.es"}},
                },
            },
            100,
            "at most 20 characters",
        ),
        (
            {
                **WA,
                "type": "interactive",
                "interactive": {
                    "type": "button",
                    "body": {"text": "x" * 1025},
                    "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "A"}}]},
                },
            },
            100,
            "at most 1024",
        ),
        ({**WA, "type": "image", "image": {"link": "https://h.es/a.jpg", "caption": "x" * 1025}}, 100, "at most 1024"),
        ({**WA, "type": "audio", "audio": {"link": "https://h.es/a.ogg", "caption": "no"}}, 100, "Unexpected key"),
        ({**WA, "type": "image", "image": {"id": "1", "link": "https://h.es/a.jpg"}}, 100, "exactly one of id"),
        ({**WA, "type": "image", "image": {"link": "ftp://h.es/a.jpg"}}, 131009, "http(s) URL"),
        ({**WA, "type": "location", "location": {"latitude": 91, "longitude": 0}}, 131009, "latitude"),
        ({**WA, "type": "text", "text": {"body": 5}}, 100, "must be a string"),
        ({**WA, "type": "text", "text": {"body": "x", "colour": "red"}}, 100, 'Unexpected key "colour"'),
        ({**WA, "type": "text", "text": "hola"}, 100, "must be a JSON object"),
        ({**WA, "type": "fax", "fax": {}}, 100, "Param type must be one of"),
        ({**WA, "type": "text"}, 100, "The parameter text is required"),
        ({"messaging_product": "whatsapp", "text": {"body": "x"}}, 100, "The parameter to is required"),
        ({**WA, "to": "abc", "text": {"body": "x"}}, 100, "phone number"),
        ({**WA, "mystery": 1, "text": {"body": "x"}}, 100, 'Unexpected key "mystery"'),
        ({**WA, "messaging_product": "sms", "text": {"body": "x"}}, 100, "messaging_product"),
        ({**WA, "type": "reaction", "reaction": {"emoji": "👍"}}, 100, "message_id"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_limits_and_bad_bodies_get_meta_envelope_and_change_nothing(g: Harness, body, code, details) -> None:
    before = len(g.state.conversations[GUEST])
    assert_envelope(g.send(body), 400, code, details=details)
    assert len(g.state.conversations[GUEST]) == before


def test_template_outside_registry_is_132001_with_404(g: Harness) -> None:
    r = g.send({**WA, "type": "template", "template": {"name": "nope", "language": {"code": "es"}}})
    err = assert_envelope(r, 404, 132001, details="template name (nope) does not exist in es")
    assert err["message"] == "(#132001) Template name does not exist in the translation"
    r = g.send({**WA, "type": "template", "template": {"name": "promo", "language": {"code": "en"}}})
    assert_envelope(r, 404, 132001, details="does not exist in en")


def test_template_parameter_count_mismatch_is_132000(g: Harness) -> None:
    body = {
        **WA,
        "type": "template",
        "template": {
            "name": "booking_reminder",
            "language": {"code": "es"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}],
        },
    }
    assert_envelope(
        g.send(body),
        400,
        132000,
        details="body: number of localizable_params (1) does not match the expected number of params (2)",
    )
    body["template"]["components"][0]["parameters"].append({"type": "text", "text": "lunes"})
    assert g.send(body).status_code == 200


@pytest.mark.parametrize(("name", "code"), [("old_promo", 132015), ("banned", 132016)])
def test_paused_and_disabled_templates_are_refused(g: Harness, name: str, code: int) -> None:
    assert_envelope(
        g.send({**WA, "type": "template", "template": {"name": name, "language": {"code": "es"}}}), 400, code
    )


@pytest.mark.parametrize("code", sorted(ERROR_CODES))
def test_injected_graph_errors_use_meta_status_for_each_code(g: Harness, code: int) -> None:
    r = g.http.post("/_sim/faults", json={"graph_errors": [{"code": code, "rate": 1.0}]})
    assert r.status_code == 200
    resp = g.text(body="x")
    err = assert_envelope(resp, ERROR_CODES[code][1], code)
    assert err["message"].startswith(f"(#{code})")
    g.http.delete("/_sim/faults")
    assert g.text(body="x").status_code == 200


def test_graph_fault_rate_is_seeded_and_partial(g: Harness) -> None:
    g.http.post("/_sim/settings", json={"policies": {"rate_limit_enabled": False, "pair_limit_enabled": False}})

    def run() -> list[int]:
        g.http.post("/_sim/faults", json={"seed": 3, "graph_errors": [{"code": 131000, "rate": 0.5}]})
        return [g.text(body="x").status_code for _ in range(40)]

    first, second = run(), run()
    assert first == second
    assert 5 < first.count(500) < 35 and first.count(200) + first.count(500) == 40


def test_unknown_graph_path_is_an_envelope_not_a_traceback(g: Harness) -> None:
    r = g.http.post(f"/v21.0/{PNID}/whatever/else", headers=AUTH, json={})
    assert r.status_code == 400 and "error" in r.json()
    r = g.http.put(f"/v21.0/{PNID}/messages", headers=AUTH, json={})
    assert r.status_code == 405 and r.json()["error"]["code"] == 100


def test_five_megabyte_body_is_refused_with_413_envelope_and_no_state_change(g: Harness) -> None:
    before = len(g.state.messages)
    big = b'{"messaging_product":"whatsapp","to":"' + GUEST.encode() + b'","text":{"body":"' + b"a" * (5 * 1024 * 1024)
    big += b'"}}'
    r = g.http.post(f"/v21.0/{PNID}/messages", content=big, headers={**AUTH, "Content-Type": "application/json"})
    assert_envelope(r, 413, 100, details="exceeds")
    assert len(g.state.messages) == before


def test_graph_latency_fault_delays_the_answer(g: Harness) -> None:
    import time

    g.http.post("/_sim/faults", json={"graph_latency_ms": 250})
    t0 = time.monotonic()
    assert g.text(body="x").status_code == 200
    assert time.monotonic() - t0 >= 0.25
