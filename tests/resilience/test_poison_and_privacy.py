"""Poison messages are answered, not redelivered forever; logs carry no phone number, wamid or message text."""

from __future__ import annotations

import base64
import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from agent_harness import FakeGraph, wait_until
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_agent_service import post, running, scalar, settings_for

from agent.logs import JsonFormatter, scrub, wamid_ref
from agent.pgtext import clean_text

pytestmark = pytest.mark.e2e

GUEST = "34611222333"
_ids = itertools.count()


def meta_body(wamid: str, text: str, sender: str = GUEST) -> bytes:
    """A text-message webhook as Meta serialises it: ASCII-escaped JSON, so a lone surrogate travels as \\udXXX."""
    message = {"from": sender, "id": wamid, "timestamp": str(int(time.time())), "type": "text", "text": {"body": text}}
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"phone_number_id": "123"},
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": sender}],
        "messages": [message],
    }
    change = {"field": "messages", "value": value}
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}
    return json.dumps(body, ensure_ascii=True, separators=(",", ":")).encode()


@pytest.fixture(scope="module")
def agent(module_database: str, redis_url: str, module_graph: FakeGraph) -> Iterator[tuple[TestClient, FakeGraph, str]]:
    """One agent for the module's examples (Hypothesis runs many)."""
    with running(settings_for(module_database, redis_url, module_graph, rate_limit_messages=10_000)) as client:
        yield client, module_graph, module_database


# Any text, including U+0000 and lone surrogates (which Hypothesis' default text() leaves out).
unstorable = st.sampled_from(["\x00", "\ud800", "\udfff", "\udc80x", "\ud83d"])
any_text = st.lists(st.one_of(st.characters(codec=None, exclude_categories=()), unstorable), min_size=1, max_size=30)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=any_text)
def test_any_text_a_guest_sends_is_stored_and_answered(
    agent: tuple[TestClient, FakeGraph, str], pieces: list[str]
) -> None:
    client, graph, db = agent
    text = "".join(pieces)
    wamid = f"wamid.poison{next(_ids)}"
    assert post(client, meta_body(wamid, text)).status_code == 200
    wait_until(
        lambda: scalar(db, "SELECT state FROM inbound_messages WHERE wamid = %s", wamid) == "done",
        15,
        "the message handled",
    )
    body = scalar(db, "SELECT body->'text'->>'body' FROM outbound_messages WHERE inbound_wamid = %s", wamid)
    assert body is not None, "no reply recorded"
    stored = scalar(db, "SELECT payload->'message'->'text'->>'body' FROM inbound_messages WHERE wamid = %s", wamid)
    # What Meta's bytes mean (an escaped high+low surrogate pair is one character), cleaned of what Postgres refuses.
    assert stored == clean_text(json.loads(json.dumps(text, ensure_ascii=True)))
    assert scalar(db, "SELECT count(*) FROM inbound_messages WHERE state = 'pending'") == 0


def _encodings(number: str) -> set[str]:
    """A phone number as it could leak: digits, and base64 at every alignment (how a wamid carries it)."""
    forms = {number, number[-9:]}
    for pad in range(3):
        raw = base64.b64encode(("x" * pad + number).encode()).decode()
        # The characters fully determined by the number's bytes, whatever precedes them.
        start = (pad * 4 + 2) // 3 + 1
        forms.add(raw[start : start + 8])
    return forms


def test_log_lines_carry_no_phone_number_wamid_or_message_text() -> None:
    number = "34699887766"
    wamid = "wamid." + base64.b64encode(f"\x15\x02\x00\x11\x18\x0b{number}\x15\x02\x00\x12ABCDEF".encode()).decode()
    secret_text = "my credit card is 4111 and I arrive tomorrow"
    record: dict[str, Any] = {
        "msg": f"reply to {wamid} from +{number}",
        "args": (),
        "extra": {"wamid": wamid, "guest": number, "text": secret_text, "error": f"failed for {number}: {wamid}"},
    }
    import logging

    log_record = logging.LogRecord("agent.test", logging.ERROR, __file__, 1, record["msg"], (), None)
    for key, value in record["extra"].items():
        setattr(log_record, key, value)
    try:
        raise ValueError(f"boom {wamid} {number}")
    except ValueError:
        import sys

        log_record.exc_info = sys.exc_info()
    line = JsonFormatter().format(log_record)
    for form in _encodings(number):
        assert form not in line, form
    assert wamid not in line and wamid[6:20] not in line
    assert secret_text not in line
    assert wamid_ref(wamid) in line  # still correlatable
    assert scrub(wamid) == wamid_ref(wamid)


def test_a_served_agent_logs_nothing_that_identifies_a_guest(
    fresh_postgres_url: str, fresh_redis_url: str, graph: FakeGraph
) -> None:
    import io
    import logging

    # Every record the running agent emits, rendered by its own formatter (as `configure` installs it).
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    number = "34655443322"
    wamid = "wamid." + base64.b64encode(f"\x15\x02\x00\x11\x18\x0b{number}\x15\x02\x00\x12\x18 XYZ".encode()).decode()
    text = "Quiero reservar, soy Ana, mi DNI es 12345678Z"
    # The first send fails (retry logged), and a poison message takes the cleaning path.
    graph.fail = lambda body, calls=iter([True]): (131000, 500) if next(calls, False) else None
    with running(settings_for(fresh_postgres_url, fresh_redis_url, graph)) as client:
        assert post(client, meta_body(wamid, text, sender=number)).status_code == 200
        assert post(client, meta_body(wamid + "2", text + "\x00\ud800", sender=number)).status_code == 200
        assert post(client, b'{"not": "signed"}', signature="sha256=00").status_code == 401
        wait_until(lambda: len([b for b in graph.sends() if b.get("to") == number]) >= 2, 15, "both replies")
    root.removeHandler(handler)
    root.setLevel(level)
    logs = sink.getvalue()
    assert "processed" in logs  # the agent did log
    for form in _encodings(number):
        assert form not in logs, form
    assert wamid not in logs
    assert "DNI" not in logs and "Quiero reservar" not in logs
