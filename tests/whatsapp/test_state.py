"""Pure state: wamid layout, BSUIDs, window arithmetic on the virtual clock, bounded conversations."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from simulators.whatsapp.clock import SimClock
from simulators.whatsapp.config import SimSettings
from simulators.whatsapp.state import SimState, bsuid_for, make_wamid


@given(user=st.from_regex(r"[0-9]{5,20}", fullmatch=True), outbound=st.booleans())
def test_wamid_has_meta_layout(user: str, outbound: bool) -> None:
    wamid = make_wamid(user, outbound)
    raw = base64.b64decode(wamid.removeprefix("wamid."))
    assert raw[:2] == b"\x1c\x18" and raw[2] == len(user) and raw[3 : 3 + len(user)] == user.encode()
    rest = raw[3 + len(user) :]
    assert rest[:3] == b"\x15\x02\x00" and rest[3] == (0x11 if outbound else 0x12)
    assert rest[4:6] == b"\x18\x20" and len(rest[6:-1]) == 32 and rest[-1] == 0


def test_bsuid_is_stable_and_country_prefixed() -> None:
    assert bsuid_for("34600111222", "1") == bsuid_for("34600111222", "1")
    assert bsuid_for("34600111222", "1") != bsuid_for("34600111222", "2")
    assert bsuid_for("14155550100", "1").startswith("US.")


def test_window_follows_the_virtual_clock() -> None:
    clock = SimClock()
    state = SimState(SimSettings(), clock)
    state.add_guest("34600111222")
    assert not state.window_open("p", "34600111222")
    state.record("in", "p", "34600111222", "text", {}, "wamid.a")
    clock.advance(24 * 3600 - 5)
    assert state.window_open("p", "34600111222")
    clock.advance(10)
    assert not state.window_open("p", "34600111222")
    state.record("out", "p", "34600111222", "text", {}, "wamid.b")
    assert not state.window_open("p", "34600111222")


def test_conversations_are_bounded() -> None:
    state = SimState(SimSettings(max_messages_per_guest=10), SimClock())
    for i in range(25):
        state.record("in", "p", "34600111222", "text", {}, f"wamid.{i}")
    conv = state.conversations["34600111222"]
    assert [m.wamid for m in conv] == [f"wamid.{i}" for i in range(15, 25)]
    assert "wamid.0" not in state.messages and "wamid.24" in state.messages


def test_overall_message_cap_forgets_the_oldest_first() -> None:
    state = SimState(SimSettings(max_messages=100), SimClock())
    for i in range(150):
        state.record("in", "p", f"3460011{i % 7:04d}", "text", {"body": str(i)}, f"wamid.{i}")
    assert len(state.messages) == 100
    assert "wamid.49" not in state.messages and "wamid.50" in state.messages
    assert sum(len(c) for c in state.conversations.values()) == 100
    assert state.messages["wamid.149"].payload == {"body": "149"}


def test_stored_messages_cost_few_gc_tracked_objects() -> None:
    import gc

    state = SimState(SimSettings(), SimClock())
    gc.collect()
    before = len(gc.get_objects())
    for i in range(1000):
        msg = state.record("in", "p", "34600111222", "text", {"text": {"body": f"hola {i}"}}, f"wamid.{i}")
        msg.add_status({"status": "read", "at_ms": 1.0})
    gc.collect()
    # Payloads are bytes and status records atom-only dicts: full GC passes stay short in long load tests.
    assert len(gc.get_objects()) - before <= 3 * 1000
    assert not gc.is_tracked(state.messages["wamid.1"].raw)
