"""A double-tapped Confirm books once and tells the truth; the goldens that count a guest's bookings own that guest.

The e2e part runs the real agent (receptionist, two worker processes), both simulators, Postgres and Redis. The
QloApps booking write is slowed (its order saved, its answer late), and while it runs the test expires the first
tap's lease in Postgres, as a heartbeat stalled past the lease would leave it: another worker takes the first tap
over and decides it again on the state before the booking. One booking per intent must survive that.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import yaml

from agent.pms import QloAppsClient, QloAppsConfig
from tests.stacks import receptionist_stack
from tests.waiting import wait_until
from validation.conversations_runner import (
    ConversationResult,
    discover,
    load_conversation,
    run_conversations,
    summarize,
)
from validation.stack import Stack

# A booking reference as the catalogue words it ("reference is QTDGDTUGJ", "localizador QTDGDTUGJ").
REFERENCE = re.compile(r"\b(?:reference|localizador)\W+(?:is\s+|es\s+)?([A-Z0-9#]{6,})")


def counted_emails_shared(paths: list[Path]) -> dict[str, list[str]]:
    """Emails whose active bookings a conversation counts, mapped to the other conversations that also use them."""
    texts = {p.stem: p.read_text(encoding="utf-8") for p in paths}
    shared: dict[str, list[str]] = {}
    for path in paths:
        for turn in load_conversation(path).turns:
            pms = turn.expect.pms
            if pms is None or pms.bookings_for_email is None:
                continue
            email = pms.bookings_for_email.email
            mention = re.compile(rf"(?<![\w.+-]){re.escape(email)}")
            others = [name for name, text in texts.items() if name != path.stem and mention.search(text)]
            if others:
                shared[email] = others
    return shared


def test_a_conversation_counting_a_guests_bookings_is_the_only_one_booking_for_that_email():
    # The conversations run concurrently under one run tag: another one booking under the same email adds to the
    # count whenever its booking lands first (en_double_tap_confirm "found 2" while booking once).
    assert counted_emails_shared(discover()) == {}


@pytest.fixture(scope="module")
def booking_stack(tmp_path_factory: pytest.TempPathFactory, postgres_url: str, redis_url: str) -> Iterator[Stack]:
    out = Path(tmp_path_factory.mktemp("double-tap"))
    with receptionist_stack(out, postgres_url, redis_url, agent_workers=2) as stack:
        yield stack


def _conversation(lang: str, email: str, check_in: str, latency_ms: int) -> dict:
    ask = {
        "en": f"book the deluxe room from {check_in} for 2 adults, I'm Tom Baker, {email}",
        "es": f"reservame la ejecutiva del {check_in}, 2 adultos, soy Lucía Fernández, {email}",
    }[lang]
    # phase after: QloApps saves the order, then answers late (at 4 s past the adapter's 3 s read timeout).
    slow_write = {"kind": "latency", "resource": "bookings", "method": "POST", "latency_ms": latency_ms,
                  "phase": "after"}  # fmt: skip
    return {
        "language": lang,
        "flow": "book",
        "reference_date": "2026-11-25",
        "description": "Confirm tapped twice while QloApps takes long to answer the booking write.",
        "turns": [
            {"text": ask, "expect": {"contains": ["Delux Rooms" if lang == "en" else "Executive Rooms"]}},
            {
                "button": "Confirm" if lang == "en" else "Confirmar",
                "double_tap": True,
                "qloapps_faults": slow_write,
                "expect": {"pms": {"bookings_for_email": {"email": email, "active": 1}}},
            },
        ],
    }


def _active_references(stack: Stack, email: str) -> list[str]:
    async def read() -> list[str]:
        client = QloAppsClient(QloAppsConfig(base_url=stack.qloapps_url, api_key=stack.credentials.qloapps_key))
        try:
            return [b.reference for b in await client.bookings_for_email(email) if not b.cancelled]
        finally:
            await client.close()

    return asyncio.run(read())


# The lease of the guest whose booking write is under way ends now; the NOTIFY wakes every worker to claim it.
_EXPIRE_LEASE_SQL = """
WITH expired AS (
    UPDATE guests SET lease_until = lease_until - interval '1 day' WHERE lease_token IS NOT NULL RETURNING guest
)
SELECT guest, pg_notify('agent_inbox', '') FROM expired
"""


@pytest.mark.e2e
@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("lang", "check_in", "latency_ms"),
    [("en", "Feb 3 to Feb 5", 2000), ("es", "3 al 5 de febrero", 4000)],
    ids=["write-answered-late", "write-answer-lost-to-the-timeout"],
)
def test_confirm_tapped_twice_and_taken_over_mid_booking_books_once_and_every_reply_names_that_booking(
    booking_stack: Stack, tmp_path: Path, lang: str, check_in: str, latency_ms: int
):
    s = booking_stack
    email = f"double.tap.{lang}.{latency_ms}@example.com"
    path = tmp_path / f"{lang}_double_tap_slow_write.yaml"
    path.write_text(yaml.safe_dump(_conversation(lang, email, check_in, latency_ms), allow_unicode=True))
    results: list[ConversationResult] = []
    guests = threading.Thread(
        target=lambda: results.extend(
            run_conversations(
                [path], s.whatsapp_url, s.qloapps_url, s.credentials.qloapps_key, s.agent_url,
                s.credentials.admin_token,
            )
        )
    )  # fmt: skip
    guests.start()
    try:
        # The order is saved while QloApps still holds the answer: the first tap's turn is mid-write.
        wait_until(lambda: _active_references(s, email), timeout=60, what="the booking saved in QloApps", step=0.1)
        with psycopg.connect(str(s.database_url), autocommit=True) as conn:
            [(guest, _)] = conn.execute(_EXPIRE_LEASE_SQL).fetchall()
    finally:
        guests.join(timeout=120)
    [result] = results
    assert result.passed, summarize([result])
    with psycopg.connect(str(s.database_url)) as conn:
        taps = conn.execute(
            "SELECT attempts FROM inbound_messages WHERE guest = %s AND type <> 'text' ORDER BY id", (guest,)
        ).fetchall()
    # The takeover happened: the first tap was claimed twice.
    assert [a for (a,) in taps][0] >= 2, taps
    [reference] = _active_references(s, email)
    replies = result.turns[1].replies
    named = [m.group(1) for text in replies for m in REFERENCE.finditer(text)]
    # Both taps answered (the booking and "already confirmed"), each naming the one booking QloApps holds.
    assert len(named) == 2, replies
    assert set(named) == {reference}, replies
