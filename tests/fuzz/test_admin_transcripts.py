"""/admin transcripts never 500, whatever shape a signed message had (Hypothesis over payload shapes)."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from agent_harness import ADMIN_TOKEN, FakeGraph, wait_until
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_agent_service import post, running, scalar, settings_for

pytestmark = pytest.mark.e2e

_ids = itertools.count()
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
# Message objects as Meta might send them, and as a fuzzer would: known types with odd members, odd types.
message_types = st.sampled_from(["text", "interactive", "button", "location", "image", "template", "reaction", "x"])
odd_type = st.one_of(message_types, json_values)
members = st.dictionaries(
    st.sampled_from(["text", "interactive", "button", "location", "image", "template", "context", "reaction"]),
    json_values,
    max_size=4,
)


@pytest.fixture(scope="module")
def agent(module_database: str, redis_url: str, module_graph: FakeGraph) -> Iterator[tuple[TestClient, str]]:
    with running(settings_for(module_database, redis_url, module_graph)) as client:
        yield client, module_database


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=odd_type, fields=members, interactive=json_values)
def test_a_transcript_renders_whatever_shape_the_guest_message_had(
    agent: tuple[TestClient, str], kind: Any, fields: dict[str, Any], interactive: Any
) -> None:
    client, db = agent
    guest = f"3462000{next(_ids):05d}"
    wamid = f"wamid.shape{guest}"
    message = {"from": guest, "id": wamid, "timestamp": str(int(time.time())), "type": kind, **fields}
    if kind == "interactive":
        message["interactive"] = interactive  # e.g. a list where an object belongs
    value = {"messaging_product": "whatsapp", "contacts": [{"wa_id": guest}], "messages": [message]}
    raw = json.dumps({"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}).encode()
    assert post(client, raw).status_code == 200
    stored = scalar(db, "SELECT count(*) FROM inbound_messages WHERE guest = %s", guest)
    if stored:  # an envelope the parser skipped (e.g. a non-string type) stores nothing: no transcript to show
        wait_until(
            lambda: (
                scalar(db, "SELECT count(*) FROM inbound_messages WHERE guest = %s AND state = 'pending'", guest) == 0
            ),
            15,
            "the message handled",
        )
        response = client.get(
            f"/admin/conversations/{guest}/transcript", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        assert response.status_code == 200, response.text
        assert isinstance(response.json(), list)


def _text_body(guest: str, text_member: str) -> bytes:
    body = (
        '{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messaging_product":"whatsapp",'
        f'"contacts":[{{"wa_id":"{guest}"}}],"messages":[{{"from":"{guest}","id":"wamid.num{guest}",'
        f'"timestamp":"{int(time.time())}","type":"text","text":{text_member}}}]}}}}]}}]}}'
    )
    return body.encode()


@pytest.mark.parametrize("constant", ["Infinity", "-Infinity", "NaN"])
def test_a_body_with_a_non_json_number_is_refused_as_bad_input_and_stores_nothing(
    agent: tuple[TestClient, str], constant: str
) -> None:
    client, db = agent
    guest = f"3462100{next(_ids):05d}"
    response = post(client, _text_body(guest, f'{{"body":"hola","n":{constant}}}'))
    assert response.status_code == 400, response.text
    assert scalar(db, "SELECT count(*) FROM inbound_messages WHERE guest = %s", guest) == 0


def test_a_number_beyond_64_bits_is_stored_and_answered(agent: tuple[TestClient, str]) -> None:
    client, db = agent
    guest = f"3462200{next(_ids):05d}"
    assert post(client, _text_body(guest, '{"body":"hola","n":-9223372036854775809}')).status_code == 200
    wait_until(
        lambda: scalar(db, "SELECT count(*) FROM inbound_messages WHERE guest = %s AND state = 'done'", guest) == 1,
        15,
        "the message answered",
    )


def test_a_status_whose_error_code_overflows_an_integer_is_acknowledged(agent: tuple[TestClient, str]) -> None:
    client, db = agent
    status = {
        "id": "wamid.overflow",
        "status": "failed",
        "timestamp": "1",
        "recipient_id": "3462300000001",
        "errors": [{"code": -162264445059, "title": "x"}],
    }
    value = {"messaging_product": "whatsapp", "statuses": [status]}
    raw = json.dumps({"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}).encode()
    assert post(client, raw).status_code == 200, "a code Postgres cannot store must not make the webhook fail forever"
    assert scalar(db, "SELECT count(*) FROM message_statuses WHERE wamid = 'wamid.overflow'") == 1
