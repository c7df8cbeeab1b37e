"""The webhook envelope parser: total on arbitrary JSON, and never loses a message from a valid envelope."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.envelope import parse_envelope

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=30,
)

# Shapes close to Meta's, with random junk mixed in, so the parser's deeper branches are exercised.
near_envelopes = st.fixed_dictionaries(
    {
        "object": st.just("whatsapp_business_account"),
        "entry": st.lists(
            st.fixed_dictionaries(
                {
                    "changes": st.lists(
                        st.fixed_dictionaries(
                            {
                                "value": st.dictionaries(
                                    st.sampled_from(["messages", "statuses", "errors", "contacts", "metadata"]),
                                    st.lists(
                                        st.dictionaries(
                                            st.sampled_from(
                                                [
                                                    "id",
                                                    "from",
                                                    "type",
                                                    "text",
                                                    "status",
                                                    "errors",
                                                    "interactive",
                                                    "location",
                                                    "code",
                                                ]
                                            ),
                                            json_values,
                                            max_size=5,
                                        ),
                                        max_size=3,
                                    )
                                    | json_values,
                                    max_size=5,
                                )
                            }
                        ),
                        max_size=3,
                    )
                }
            ),
            max_size=3,
        ),
    }
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_parser_never_raises_on_arbitrary_json(data: Any) -> None:
    env = parse_envelope(data)
    assert isinstance(env.messages, list) and isinstance(env.statuses, list)


@settings(max_examples=300, deadline=None)
@given(near_envelopes)
def test_parser_never_raises_on_envelope_shaped_junk(data: Any) -> None:
    env = parse_envelope(data)
    assert all(m.wamid and m.guest for m in env.messages)


MESSAGE_BODIES = {
    "text": lambda: {"text": {"body": "hola"}},
    "interactive": lambda: {"interactive": {"type": "button_reply", "button_reply": {"id": "b1", "title": "Sí"}}},
    "location": lambda: {"location": {"latitude": 40.4, "longitude": -3.7, "name": "Sol"}},
    "image": lambda: {"image": {"id": "m1", "mime_type": "image/jpeg", "sha256": "x", "caption": "foto"}},
    "audio": lambda: {"audio": {"id": "m2", "mime_type": "audio/ogg; codecs=opus", "voice": True}},
    "reaction": lambda: {"reaction": {"message_id": "wamid.prev", "emoji": "👍"}},
    "poll_update": lambda: {},
}

messages_st = st.lists(
    st.tuples(
        st.text(alphabet="0123456789", min_size=8, max_size=13),
        st.sampled_from(sorted(MESSAGE_BODIES)),
        st.booleans(),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(messages_st, st.integers(min_value=1, max_value=3), st.integers(min_value=1, max_value=3))
def test_every_message_in_a_valid_envelope_is_returned(msgs: list, entries: int, changes: int) -> None:
    # Spread the messages over several entries and changes, mixed with statuses; all must come back, in order.
    buckets: list[list[dict]] = [[] for _ in range(entries * changes)]
    expected = []
    for i, (sender, mtype, extra_field) in enumerate(msgs):
        wamid = f"wamid.{i}"
        msg = {"from": sender, "id": wamid, "timestamp": "1700000000", "type": mtype, **MESSAGE_BODIES[mtype]()}
        if extra_field:
            msg["brand_new_field"] = {"nested": [1, 2]}
        buckets[i % len(buckets)].append(msg)
        expected.append((wamid, sender))
    entry_list = []
    for e in range(entries):
        change_list = []
        for c in range(changes):
            value = {
                "messaging_product": "whatsapp",
                "metadata": {"phone_number_id": "1"},
                "messages": buckets[e * changes + c],
                "statuses": [{"id": f"wamid.s{e}{c}", "status": "read", "recipient_id": "1"}],
            }
            change_list.append({"field": "messages", "value": value})
        entry_list.append({"id": str(e), "changes": change_list})
    env = parse_envelope({"object": "whatsapp_business_account", "entry": entry_list})
    got = [(m.wamid, m.guest) for m in env.messages]
    assert sorted(got) == sorted(expected)
    assert len(env.statuses) == entries * changes


def test_message_types_are_normalised_and_unknown_types_kept_as_unsupported() -> None:
    value = {
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": "34600111222"}],
        "messages": [
            {"from": "34600111222", "id": "w1", "type": "text", "text": {"body": "hola"}},
            {
                "from": "34600111222",
                "id": "w2",
                "type": "interactive",
                "interactive": {"type": "list_reply", "list_reply": {"id": "r1", "title": "Doble"}},
            },
            {"from": "34600111222", "id": "w3", "type": "location", "location": {"latitude": 1.5, "longitude": 2}},
            {"from": "34600111222", "id": "w4", "type": "poll_update"},
            {"from_user_id": "ES.123", "id": "w5", "type": "button", "button": {"payload": "p", "text": "Yes"}},
        ],
    }
    env = parse_envelope({"entry": [{"changes": [{"value": value}]}]})
    by_id = {m.wamid: m for m in env.messages}
    assert by_id["w1"].text == "hola" and by_id["w1"].profile_name == "Ana"
    assert (by_id["w2"].type, by_id["w2"].reply_id, by_id["w2"].reply_title) == ("list_reply", "r1", "Doble")
    assert by_id["w3"].location is not None and by_id["w3"].location.longitude == 2.0
    assert by_id["w4"].type == "unsupported"
    assert by_id["w5"].guest == "ES.123" and by_id["w5"].wa_id is None and by_id["w5"].reply_id == "p"


def test_statuses_and_value_level_errors_are_collected() -> None:
    value = {
        "statuses": [
            {
                "id": "o1",
                "status": "failed",
                "recipient_id": "346",
                "errors": [{"code": 131047, "title": "Re-engagement message", "error_data": {"details": "24h"}}],
            },
        ],
        "errors": [{"code": 130429, "title": "Rate limit hit"}],
    }
    env = parse_envelope({"entry": [{"changes": [{"value": value}]}]})
    assert env.statuses[0].errors[0].code == 131047 and env.statuses[0].recipient == "346"
    assert env.errors[0].code == 130429


@given(st.integers())
def test_an_error_code_is_kept_only_when_postgres_can_store_it(code: int) -> None:
    value = {"statuses": [{"id": "o1", "status": "failed", "recipient_id": "346", "errors": [{"code": code}]}]}
    parsed = parse_envelope({"entry": [{"changes": [{"value": value}]}]}).statuses[0].errors[0].code
    assert parsed == (code if -(2**31) <= code < 2**31 else None)
