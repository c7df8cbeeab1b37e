"""Outbound messages stay inside Meta's limits by construction; long text splits at sentence boundaries."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.outbound import Buttons, ListMessage, ListRow, ReplyButton, Text, expand, split_text


def test_buttons_keep_at_most_three_unique_titles_of_twenty_chars() -> None:
    msg = Buttons(
        "Elige",
        tuple(
            ReplyButton(f"b{i}", t)
            for i, t in enumerate(
                ["Reservar habitación doble", "Reservar habitación doble", "Ubicación", "Precio", "Extra"]
            )
        ),
    )
    titles = [b["reply"]["title"] for b in msg.payload()["interactive"]["action"]["buttons"]]
    assert len(titles) == 3 and len(set(titles)) == 3
    assert all(len(t) <= 20 for t in titles)


def test_list_keeps_ten_rows_with_clipped_titles() -> None:
    rows = tuple(ListRow(f"r{i}", "Habitación deluxe con vistas al mar", "d" * 100) for i in range(15))
    payload = ListMessage("Habitaciones", "Ver habitaciones disponibles", rows).payload()["interactive"]
    out_rows = payload["action"]["sections"][0]["rows"]
    assert len(out_rows) == 10
    assert all(len(r["title"]) <= 24 and len(r["description"]) <= 72 for r in out_rows)
    assert len(payload["action"]["button"]) <= 20


def test_long_text_splits_at_sentence_boundaries() -> None:
    sentences = [f"Frase número {i} sobre el hotel y sus servicios." for i in range(300)]
    chunks = split_text(" ".join(sentences))
    assert len(chunks) > 1
    assert all(len(c) < 4096 for c in chunks)
    assert all(c.endswith(".") for c in chunks)
    assert " ".join(chunks) == " ".join(sentences)


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=12000))
def test_split_never_exceeds_the_limit_and_keeps_every_word(text: str) -> None:
    chunks = split_text(text)
    assert all(0 < len(c) < 4096 for c in chunks)
    assert "".join("".join(chunks).split()) == "".join(text.split())


def test_expand_turns_one_long_text_into_several_messages() -> None:
    out = expand([Text("Hola. " * 1000)])
    assert len(out) == 2 and all(isinstance(m, Text) and len(m.body) < 4096 for m in out)
