"""Parsers never crash: any JSON body is either a valid send or a GraphError (Meta's envelope)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.whatsapp.config import Template
from simulators.whatsapp.errors import GraphError
from simulators.whatsapp.graph import SendRequest, parse_send
from simulators.whatsapp.http import parse_multipart

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)
KEYS = st.sampled_from(
    [
        "messaging_product",
        "to",
        "type",
        "text",
        "interactive",
        "template",
        "image",
        "context",
        "reaction",
        "status",
        "message_id",
        "recipient",
        "location",
        "contacts",
    ]
)
TEMPLATES = [Template(name="promo", language="es", body_params=1)]


def _check(body: object) -> None:
    try:
        result = parse_send(body, TEMPLATES)
    except GraphError as err:
        envelope = err.body()["error"]
        assert isinstance(envelope["code"], int) and envelope["message"] and err.http_status in (400, 404)
        return
    assert isinstance(result, SendRequest)


@settings(max_examples=300, deadline=None)
@given(body=JSON)
def test_arbitrary_json_is_a_send_or_a_graph_error(body: object) -> None:
    _check(body)


@settings(max_examples=300, deadline=None)
@given(body=st.dictionaries(KEYS, JSON, max_size=6), product=st.sampled_from(["whatsapp", None]))
def test_send_shaped_json_is_a_send_or_a_graph_error(body: dict, product: str | None) -> None:
    if product:
        body["messaging_product"] = product
    _check(body)


@given(data=st.binary(max_size=300), boundary=st.text(alphabet="abcXYZ019-", min_size=1, max_size=20))
def test_multipart_parser_takes_any_bytes(data: bytes, boundary: str) -> None:
    try:
        fields = parse_multipart(data, f"multipart/form-data; boundary={boundary}")
    except GraphError:
        return
    assert all(isinstance(v[0], bytes) for v in fields.values())


def test_multipart_round_trip_is_binary_exact() -> None:
    payload = bytes(range(256)) + b"\r\n--not-the-boundary\r\n"
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n" + payload + b"\r\n--XyZ--\r\n"
    )
    assert parse_multipart(body, "multipart/form-data; boundary=XyZ")["file"] == (payload, "a.bin", "image/jpeg")
